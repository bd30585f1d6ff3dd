/** How a purchase looks to its customer: what `purchase.get` answers and `purchase.status-changed` carries. */
import type { PurchaseView } from "../../contracts/purchase-saga";
import type { Purchase } from "./purchase-models";

/** The columns a view shows: a Purchase model, or a row a set-based statement returned. */
export type ViewedPurchase = Pick<
  Purchase,
  "id" | "status" | "step" | "failure_reason" | "order_id" | "payment_id" | "amount" | "currency" | "items" | "version" | "created_at" | "updated_at"
>;

export function purchaseView(purchase: ViewedPurchase): PurchaseView {
  return {
    id: purchase.id,
    status: purchase.status,
    step: purchase.step,
    failure_reason: purchase.failure_reason,
    order_id: purchase.order_id,
    payment_id: purchase.payment_id,
    amount: Number(purchase.amount),
    currency: purchase.currency,
    items: purchase.items,
    version: purchase.version,
    created_at: purchase.created_at.toISOString(),
    updated_at: purchase.updated_at.toISOString(),
  };
}
