/** How a purchase looks to its customer: what `purchase.get` answers and PURCHASE_STATUS_CHANGED_EVENT carries. */
import type { SagaStatus } from "../../lib/saga/state";
import type { Purchase } from "./purchase-models";

/** The Moleculer event (not Kafka) the purchase service broadcasts on every change; every gateway relays it over SSE. */
export const PURCHASE_STATUS_CHANGED_EVENT = "purchase.status-changed";

/** A purchase is PENDING until its saga starts, then has its saga's status. */
export type PurchaseStatus = "PENDING" | SagaStatus;

/** One line of a purchase as its customer sees it, priced when the purchase was made. */
export interface PurchaseLine {
  product_id: number;
  quantity: number;
  unit_price: number;
}

export interface PurchaseView {
  id: string;
  status: PurchaseStatus;
  /** The saga step in progress; null before the saga starts and once it has ended. */
  step: string | null;
  failure_reason: string | null;
  order_id: string | null;
  payment_id: string | null;
  /** When the customer asked to cancel it: a purchase that then ends FAILED was cancelled, one that ends COMPLETED was paid first. */
  cancel_requested_at: string | null;
  /** Integer minor units of `currency`. */
  amount: number;
  currency: string;
  items: PurchaseLine[];
  /** Bumped by every change, so a client stream can drop what it has already seen. */
  version: number;
  created_at: string;
  updated_at: string;
}

/** The columns a view shows: a Purchase model, or a row a set-based statement returned. */
export type ViewedPurchase = Pick<
  Purchase,
  | "id"
  | "status"
  | "step"
  | "failure_reason"
  | "order_id"
  | "payment_id"
  | "cancel_requested_at"
  | "amount"
  | "currency"
  | "items"
  | "version"
  | "created_at"
  | "updated_at"
>;

export function purchaseView(purchase: ViewedPurchase): PurchaseView {
  return {
    id: purchase.id,
    status: purchase.status,
    step: purchase.step,
    failure_reason: purchase.failure_reason,
    order_id: purchase.order_id,
    payment_id: purchase.payment_id,
    cancel_requested_at: purchase.cancel_requested_at?.toISOString() ?? null,
    amount: Number(purchase.amount),
    currency: purchase.currency,
    items: purchase.items,
    version: purchase.version,
    created_at: purchase.created_at.toISOString(),
    updated_at: purchase.updated_at.toISOString(),
  };
}
