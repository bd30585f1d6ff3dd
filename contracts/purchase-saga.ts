/**
 * The purchase saga on the wire: what the purchase service announces, the
 * commands the orchestrator sends each participant, the replies they send
 * back, and the outcome it publishes. The saga id IS the purchase id, and it
 * is the Kafka key of every message below, so one purchase stays in order.
 *
 * Commands travel as `SagaCommand<Payload>` and replies as `SagaReply<Payload>`
 * (lib/saga/messages.ts): the correlation they carry is the engine's business;
 * participants only echo it with `replyFor`.
 */
import { UNFINISHED_STATUSES, type SagaStatus, type UnfinishedStatus } from "../lib/saga/state";

export const PURCHASE_EVENTS_TOPIC = "purchase.events";
export const PURCHASE_RESULTS_TOPIC = "purchase.results";
export const SAGA_REPLIES_TOPIC = "saga.replies";
export const PRODUCT_COMMANDS_TOPIC = "product.commands";
export const ORDER_COMMANDS_TOPIC = "order.commands";
export const PAYMENT_COMMANDS_TOPIC = "payment.commands";

/** Money is integer minor units of one store currency. */
export interface PricedItem {
  productId: number;
  quantity: number;
  unitPrice: number;
}

// Bounds are the columns' own (bigint ids and money, int quantities): a message that passes never fails on insert.
const MAX_INT = 2 ** 31 - 1;

/**
 * The largest amount of money, in minor units, a purchase's messages carry
 * (its amount, and so each unit price and line total): beyond it a JSON
 * number is no longer exact. The purchase service refuses at the door any
 * purchase that would exceed it, rather than announce one the orchestrator refuses.
 */
export const MAX_MONEY = Number.MAX_SAFE_INTEGER;

/** A line's money exactly: quantity × unit price in integer minor units, as a BigInt (floats round past 2^53). Both must be integers. */
export function lineTotal(quantity: number, unitPrice: number): bigint {
  return BigInt(quantity) * BigInt(unitPrice);
}

/** A priced purchase's amount exactly: the sum of its lines. */
export function itemsTotal(items: readonly Pick<PricedItem, "quantity" | "unitPrice">[]): bigint {
  return items.reduce((sum, item) => sum + lineTotal(item.quantity, item.unitPrice), 0n);
}

/** Lines in one purchase, at most (each a different product). */
export const MAX_ORDER_ITEMS = 50;

/** A line's product and quantity, as every purchase message carries them. */
const LINE_PROPS = {
  productId: { type: "number", integer: true, positive: true, max: Number.MAX_SAFE_INTEGER },
  quantity: { type: "number", integer: true, positive: true, max: MAX_INT },
} as const;

/**
 * fastest-validator schema of a priced purchase: PurchaseCreated, and the
 * CreateOrder payload the orchestrator derives from it, have this shape.
 */
export const PRICED_PURCHASE_SCHEMA = {
  purchaseId: "uuid",
  customerId: "uuid",
  items: {
    type: "array",
    min: 1,
    max: MAX_ORDER_ITEMS,
    items: {
      type: "object",
      props: { ...LINE_PROPS, unitPrice: { type: "number", integer: true, min: 0, max: MAX_MONEY } },
    },
  },
  amount: { type: "number", integer: true, min: 0, max: MAX_MONEY },
  currency: { type: "string", pattern: /^[A-Z]{3}$/ },
} as const;

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

/** A purchase as its customer sees it: what `purchase.get` answers and PURCHASE_STATUS_CHANGED_EVENT carries. */
export interface PurchaseView {
  id: string;
  status: PurchaseStatus;
  /** The saga step in progress; null before the saga starts and once it has ended. */
  step: string | null;
  failure_reason: string | null;
  order_id: string | null;
  payment_id: string | null;
  /** Integer minor units of `currency`. */
  amount: number;
  currency: string;
  items: PurchaseLine[];
  /** Bumped by every change, so a client stream can drop what it has already seen. */
  version: number;
  created_at: string;
  updated_at: string;
}

/** Message types on purchase.events (purchase.results carries only SagaResults). */
export const PURCHASE_EVENT_TYPES = { PurchaseCreated: "PurchaseCreated" } as const;

/** purchase.events: a customer asked to buy; starts a saga. */
export interface PurchaseCreated {
  purchaseId: string;
  customerId: string;
  items: PricedItem[];
  amount: number;
  currency: string;
}

// ---- product (step 1) ----
export interface ReserveInventory {
  purchaseId: string;
  items: { productId: number; quantity: number }[];
}
/** fastest-validator schema of the commands that name only their purchase (ReleaseInventory, ApproveOrder, CancelOrder, RefundPayment). */
export const PURCHASE_REFERENCE_SCHEMA = { purchaseId: "uuid" } as const;

/** fastest-validator schema of the ReserveInventory payload. */
export const RESERVE_INVENTORY_SCHEMA = {
  purchaseId: "uuid",
  items: { type: "array", min: 1, max: MAX_ORDER_ITEMS, items: { type: "object", props: LINE_PROPS } },
} as const;
export type InventoryReserved = { purchaseId: string };
export type InventoryRejected = { purchaseId: string; reason: string };
export type ReleaseInventory = { purchaseId: string };
/** Also sent when there was nothing to release. */
export type InventoryReleased = { purchaseId: string };

// ---- order (steps 2 and 4) ----
export interface CreateOrder {
  purchaseId: string;
  customerId: string;
  items: PricedItem[];
  amount: number;
  currency: string;
}
export type OrderCreated = { purchaseId: string; orderId: string };
export type OrderRejected = { purchaseId: string; reason: string };
export type CancelOrder = { purchaseId: string };
/** Also sent when there was no order to cancel. */
export type OrderCancelled = { purchaseId: string };
/** The order was already approved: cancelling it is a decision for a person, not a compensation. */
export type OrderNotCancellable = { purchaseId: string; orderId: string; reason: string };
export type ApproveOrder = { purchaseId: string };
export type OrderApproved = { purchaseId: string; orderId: string };

// ---- payment (step 3) ----
export interface ProcessPayment {
  purchaseId: string;
  customerId: string;
  amount: number;
  currency: string;
}
export type PaymentCompleted = { purchaseId: string; paymentId: string };
export type PaymentDeclined = { purchaseId: string; reason: string };
export type RefundPayment = { purchaseId: string };
/** Also sent when there was no payment to refund. */
export type PaymentRefunded = { purchaseId: string };

/** The names of every command and reply, so producers and consumers cannot drift apart. */
export const PURCHASE_SAGA_MESSAGES = {
  ReserveInventory: "ReserveInventory",
  InventoryReserved: "InventoryReserved",
  InventoryRejected: "InventoryRejected",
  ReleaseInventory: "ReleaseInventory",
  InventoryReleased: "InventoryReleased",
  CreateOrder: "CreateOrder",
  OrderCreated: "OrderCreated",
  OrderRejected: "OrderRejected",
  CancelOrder: "CancelOrder",
  OrderCancelled: "OrderCancelled",
  OrderNotCancellable: "OrderNotCancellable",
  ApproveOrder: "ApproveOrder",
  OrderApproved: "OrderApproved",
  ProcessPayment: "ProcessPayment",
  PaymentCompleted: "PaymentCompleted",
  PaymentDeclined: "PaymentDeclined",
  RefundPayment: "RefundPayment",
  PaymentRefunded: "PaymentRefunded",
} as const;

/** The saga's data as the orchestrator keeps it; the final SagaResult carries it. */
export interface PurchaseSagaData extends PurchaseCreated {
  orderId?: string;
  paymentId?: string;
}

/**
 * The Moleculer event (not Kafka) the orchestrator emits after each commit
 * that moved purchase sagas, so the client's stream shows every step. Best
 * effort by design: a note lost in a crash is made good by the next one or by
 * the saga's result, which goes through the outbox (purchase.results).
 */
export const PURCHASE_PROGRESSED_EVENT = "purchase.progressed";

/** Where one saga has got: a status that is not an end, and the step it is at. */
export interface PurchaseProgressNote {
  purchaseId: string;
  status: UnfinishedStatus;
  step: string;
  /** The saga's version after the move: notes may arrive out of order, and one older than a note applied is dropped. */
  sagaVersion: number;
}

export interface PurchaseProgressed {
  notes: PurchaseProgressNote[];
}

export const PURCHASE_PROGRESSED_SCHEMA = {
  $$strict: "remove",
  notes: {
    type: "array",
    min: 1,
    items: {
      type: "object",
      strict: "remove",
      props: {
        purchaseId: "uuid",
        status: { type: "enum", values: UNFINISHED_STATUSES },
        step: "string|min:1",
        sagaVersion: { type: "number", integer: true, positive: true },
      },
    },
  },
} as const;
