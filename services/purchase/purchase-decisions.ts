/** Whether a customer's cancel can still go to the saga, decided from what the purchase knows of it. */
import { isFinal } from "../../lib/saga/state";
import type { Purchase } from "./purchase-models";

export interface CancelRefusal {
  type: "PURCHASE_ENDED" | "ALREADY_PAID" | "ALREADY_FAILING";
  message: string;
}

/**
 * Null when the cancel goes to the saga, which decides for good: what the
 * purchase knows may be a step behind (a progress note in flight), and then
 * the saga refuses a cancel this let through.
 */
export function cancelRefusal(purchase: Pick<Purchase, "id" | "status" | "payment_taken">): CancelRefusal | null {
  const { id, status } = purchase;
  if (isFinal(status)) return { type: "PURCHASE_ENDED", message: `Purchase ${id} has already ended (${status})` };
  if (purchase.payment_taken) return { type: "ALREADY_PAID", message: `Purchase ${id} is paid: it can no longer be cancelled` };
  if (status === "COMPENSATING" || status === "NEEDS_ATTENTION") {
    return { type: "ALREADY_FAILING", message: `Purchase ${id} is already being undone (${status})` };
  }
  return null;
}
