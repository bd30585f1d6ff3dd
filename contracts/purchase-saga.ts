/**
 * The purchase saga on the wire, each message declared once: what the
 * purchase service announces, the commands the orchestrator sends each
 * participant, the replies they send back, and the outcome it publishes.
 * The saga id IS the purchase id, and it is the Kafka key of every message
 * below, so one purchase stays in order.
 *
 * Commands travel wrapped in a saga command and replies in a saga reply
 * (lib/saga/messages.ts): the correlation they carry is the engine's
 * business. A payload is checked against its schema before it is applied,
 * a reply before it touches the saga's data. Commands and events have a
 * payload type of the same name; replies are built with messageOf.
 */
import { declareMessage, type Infer, type PayloadOf } from "../lib/messages/message-declaration";
import { MAX_MONEY } from "../lib/money";
import {
  ORDER_COMMANDS_TOPIC,
  PAYMENT_COMMANDS_TOPIC,
  PRODUCT_COMMANDS_TOPIC,
  PURCHASE_EVENTS_TOPIC,
  PURCHASE_RESULTS_TOPIC,
  SAGA_REPLIES_TOPIC,
} from "./topics";

// Bounds are the columns' own (bigint ids and money, int quantities): a message that passes never fails on insert.
const MAX_INT = 2 ** 31 - 1;

/** Lines in one purchase, at most (each a different product). */
export const MAX_ORDER_ITEMS = 50;

const LINE_FIELDS = {
  productId: { type: "number", integer: true, positive: true, max: Number.MAX_SAFE_INTEGER },
  quantity: { type: "number", integer: true, positive: true, max: MAX_INT },
} as const;

const PRICED_LINE = { type: "object", props: { ...LINE_FIELDS, unitPrice: { type: "number", integer: true, min: 0, max: MAX_MONEY } } } as const;

/** A priced purchase: PurchaseCreated, and CreateOrder, which the orchestrator derives from it. */
const PRICED_PURCHASE = {
  purchaseId: "uuid",
  customerId: "uuid",
  items: { type: "array", min: 1, max: MAX_ORDER_ITEMS, items: PRICED_LINE },
  amount: { type: "number", integer: true, min: 0, max: MAX_MONEY },
  currency: { type: "string", pattern: /^[A-Z]{3}$/ },
} as const;

/** Money is integer minor units of one store currency. */
export type PricedItem = Infer<typeof PRICED_LINE.props>;

/** The commands that name only their purchase, and the replies that say only which purchase they answer. */
const PURCHASE_REFERENCE = { purchaseId: "uuid" } as const;
const REFUSAL = { purchaseId: "uuid", reason: "string" } as const;

// ---- the purchase service ----

/** purchase.events: a customer asked to buy; starts a saga. */
export const PurchaseCreated = declareMessage("PurchaseCreated", PURCHASE_EVENTS_TOPIC, PRICED_PURCHASE);
export type PurchaseCreated = PayloadOf<typeof PurchaseCreated>;

/** The failure reason of a purchase its customer cancelled in time. */
export const CANCELLED_BY_CUSTOMER = "cancelled by customer";

/**
 * purchase.events: the customer asked to cancel. Keyed by the purchase like
 * PurchaseCreated, so the orchestrator reads it after the saga's start; the
 * saga decides (stopped before the payment, refused after it). It carries the
 * purchase as announced, for a saga whose start was lost: that one ends at once.
 */
export const PurchaseCancelRequested = declareMessage("PurchaseCancelRequested", PURCHASE_EVENTS_TOPIC, { ...PRICED_PURCHASE, requestedBy: "uuid" });
export type PurchaseCancelRequested = PayloadOf<typeof PurchaseCancelRequested>;

// ---- product (step 1) ----

export const ReserveInventory = declareMessage("ReserveInventory", PRODUCT_COMMANDS_TOPIC, {
  purchaseId: "uuid",
  items: { type: "array", min: 1, max: MAX_ORDER_ITEMS, items: { type: "object", props: LINE_FIELDS } },
});
export type ReserveInventory = PayloadOf<typeof ReserveInventory>;
export const InventoryReserved = declareMessage("InventoryReserved", SAGA_REPLIES_TOPIC, PURCHASE_REFERENCE);
export const InventoryRejected = declareMessage("InventoryRejected", SAGA_REPLIES_TOPIC, REFUSAL);
export const ReleaseInventory = declareMessage("ReleaseInventory", PRODUCT_COMMANDS_TOPIC, PURCHASE_REFERENCE);
export type ReleaseInventory = PayloadOf<typeof ReleaseInventory>;
/** Also sent when there was nothing to release. */
export const InventoryReleased = declareMessage("InventoryReleased", SAGA_REPLIES_TOPIC, PURCHASE_REFERENCE);

// ---- order (steps 2 and 4) ----

export const CreateOrder = declareMessage("CreateOrder", ORDER_COMMANDS_TOPIC, PRICED_PURCHASE);
export type CreateOrder = PayloadOf<typeof CreateOrder>;
export const OrderCreated = declareMessage("OrderCreated", SAGA_REPLIES_TOPIC, { purchaseId: "uuid", orderId: "uuid" });
export const OrderRejected = declareMessage("OrderRejected", SAGA_REPLIES_TOPIC, REFUSAL);
export const CancelOrder = declareMessage("CancelOrder", ORDER_COMMANDS_TOPIC, PURCHASE_REFERENCE);
export type CancelOrder = PayloadOf<typeof CancelOrder>;
/** Also sent when there was no order to cancel. */
export const OrderCancelled = declareMessage("OrderCancelled", SAGA_REPLIES_TOPIC, PURCHASE_REFERENCE);
/** The order was already approved: cancelling it is a decision for a person, not a compensation. */
export const OrderNotCancellable = declareMessage("OrderNotCancellable", SAGA_REPLIES_TOPIC, { purchaseId: "uuid", orderId: "uuid", reason: "string" });
export const ApproveOrder = declareMessage("ApproveOrder", ORDER_COMMANDS_TOPIC, PURCHASE_REFERENCE);
export type ApproveOrder = PayloadOf<typeof ApproveOrder>;
export const OrderApproved = declareMessage("OrderApproved", SAGA_REPLIES_TOPIC, { purchaseId: "uuid", orderId: "uuid" });

// ---- payment (step 3) ----

export const ProcessPayment = declareMessage("ProcessPayment", PAYMENT_COMMANDS_TOPIC, {
  purchaseId: "uuid",
  customerId: "uuid",
  amount: { type: "number", integer: true, positive: true, max: MAX_MONEY },
  // Any other currency than the wallet's is declined, so no format is imposed here.
  currency: "string|min:1",
});
export type ProcessPayment = PayloadOf<typeof ProcessPayment>;
export const PaymentCompleted = declareMessage("PaymentCompleted", SAGA_REPLIES_TOPIC, { purchaseId: "uuid", paymentId: "uuid" });
export const PaymentDeclined = declareMessage("PaymentDeclined", SAGA_REPLIES_TOPIC, REFUSAL);
export const RefundPayment = declareMessage("RefundPayment", PAYMENT_COMMANDS_TOPIC, PURCHASE_REFERENCE);
export type RefundPayment = PayloadOf<typeof RefundPayment>;
/** Also sent when there was no payment to refund. */
export const PaymentRefunded = declareMessage("PaymentRefunded", SAGA_REPLIES_TOPIC, PURCHASE_REFERENCE);

// ---- the outcome ----

/** The saga's data as the orchestrator keeps it; its result carries it. */
const PURCHASE_SAGA_DATA = {
  ...PRICED_PURCHASE,
  orderId: { type: "uuid", optional: true },
  paymentId: { type: "uuid", optional: true },
} as const;
export type PurchaseSagaData = Infer<typeof PURCHASE_SAGA_DATA>;

const sagaResult = <const Status extends string>(status: Status) =>
  ({
    sagaType: "string|min:1",
    sagaId: "uuid",
    status: { type: "equal", value: status, strict: true },
    reason: { type: "string", nullable: true },
    data: { type: "object", props: PURCHASE_SAGA_DATA },
  }) as const;

/** purchase.results: the saga ended, one of these two, once. */
export const PurchaseSagaCompleted = declareMessage("SagaCompleted", PURCHASE_RESULTS_TOPIC, sagaResult("COMPLETED"));
export const PurchaseSagaFailed = declareMessage("SagaFailed", PURCHASE_RESULTS_TOPIC, sagaResult("FAILED"));
