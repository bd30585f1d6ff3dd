/** How a purchase looks to its customer: what `purchase.get` answers and PURCHASE_STATUS_CHANGED_EVENT carries. */
import { type Infer } from "../../lib/messages/message-declaration";
import { SAGA_STATUSES, type SagaStatus } from "../../lib/saga/state";
import type { Purchase } from "./purchase-models";

/** The Moleculer event (not Kafka) the purchase service broadcasts on every change; every gateway relays it over SSE. */
export const PURCHASE_STATUS_CHANGED_EVENT = "purchase.status-changed";

/** A purchase is PENDING until its saga starts, then has its saga's status. */
export type PurchaseStatus = "PENDING" | SagaStatus;
export const PURCHASE_STATUSES: readonly PurchaseStatus[] = ["PENDING", ...SAGA_STATUSES];

const whole = { type: "number", integer: true } as const;

/** One line of a purchase as its customer sees it, priced when the purchase was made. */
const purchaseLineSchema = { product_id: { ...whole, min: 1 }, quantity: { ...whole, min: 1 }, unit_price: whole } as const;
export type PurchaseLine = Infer<typeof purchaseLineSchema>;

/** The view, declared once: PurchaseView is read off it, and the API document shows it. */
export const purchaseViewSchema = {
  id: "uuid",
  status: { type: "enum", values: PURCHASE_STATUSES },
  /** The saga step in progress; null before the saga starts and once it has ended. */
  step: { type: "string", nullable: true },
  failure_reason: { type: "string", nullable: true },
  order_id: { type: "uuid", nullable: true },
  payment_id: { type: "uuid", nullable: true },
  /** When the customer asked to cancel it: a purchase that then ends FAILED was cancelled, one that ends COMPLETED was paid first. */
  cancel_requested_at: { type: "date", nullable: true },
  /** Integer minor units of `currency`. */
  amount: whole,
  currency: "string",
  items: { type: "array", items: { type: "object", props: purchaseLineSchema } },
  /** Bumped by every change, so a client stream can drop what it has already seen. */
  version: whole,
  created_at: { type: "date" },
  updated_at: { type: "date" },
} as const;
export type PurchaseView = Infer<typeof purchaseViewSchema>;

/** What a purchase request is answered with (202): the purchase's id and status, and where to follow it. */
export const purchaseAcceptedSchema = {
  id: "uuid",
  status: { type: "enum", values: PURCHASE_STATUSES },
  links: { type: "object", props: { self: "string", events: "string" } },
} as const;
export type PurchaseAccepted = Infer<typeof purchaseAcceptedSchema>;

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
