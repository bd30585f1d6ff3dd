/**
 * The Moleculer event (not Kafka) the orchestrator emits after each commit
 * that moved purchase sagas, so the client's stream shows every step. Best
 * effort by design: a note lost in a crash is made good by the next one or by
 * the saga's result, which goes through the outbox (purchase.results).
 */
import type { Infer } from "../lib/messages/message-declaration";

export const PURCHASE_PROGRESSED_EVENT = "purchase.progressed";

/** The statuses a saga can still leave, where a client sees progress (the orchestrator's engine holds its list to this one). */
export const PROGRESS_STATUSES = ["RUNNING", "COMPENSATING", "NEEDS_ATTENTION"] as const;

const PROGRESS_NOTE = {
  purchaseId: "uuid",
  status: { type: "enum", values: PROGRESS_STATUSES },
  step: "string|min:1",
  /** The payment, the saga's pivot, has been taken: a cancel can no longer stop the purchase. */
  paymentTaken: "boolean",
  /** The saga's version after the move: notes may arrive out of order, and one older than a note applied is dropped. */
  sagaVersion: { type: "number", integer: true, positive: true },
} as const;

export const PURCHASE_PROGRESSED_SCHEMA = {
  $$strict: "remove",
  notes: { type: "array", min: 1, items: { type: "object", strict: "remove", props: PROGRESS_NOTE } },
} as const;

/** Where one saga has got: a status that is not an end, and the step it is at. */
export type PurchaseProgressNote = Infer<typeof PROGRESS_NOTE>;

export interface PurchaseProgressed {
  notes: PurchaseProgressNote[];
}
