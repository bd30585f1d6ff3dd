/**
 * The order service's decisions, free of I/O: whether a CreateOrder describes
 * a valid order, and what to answer when a command finds its purchase's order
 * already in some state (a re-sent command, or one overtaken by another).
 */
import { OrderApproved, OrderCancelled, OrderCreated, OrderNotCancellable, OrderRejected, type CreateOrder } from "../../contracts/purchase-saga";
import { UnprocessableMessageError } from "../../lib/inbox/idempotent-consumer";
import { messageOf, type Message } from "../../lib/messages/message-declaration";
import { itemsTotal } from "../../lib/money";

export const ORDER_STATUSES = ["CREATED", "APPROVED", "CANCELLED"] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Just what the decisions need to know of an existing order. */
export interface OrderState {
  id: string;
  purchase_id: string;
  status: OrderStatus;
}

export type CreateOrderReply = Message<typeof OrderCreated> | Message<typeof OrderRejected>;

export type ApproveOrderReply = Message<typeof OrderApproved>;

export type CancelOrderReply = Message<typeof OrderCancelled> | Message<typeof OrderNotCancellable>;

/** Raised for an ApproveOrder that can never succeed: it ends in the dead-letter topic, for an operator. */
export class OrderNotApprovableError extends UnprocessableMessageError {
  override readonly name = "OrderNotApprovableError";
}

export const orderCreated = (purchaseId: string, orderId: string): CreateOrderReply => messageOf(OrderCreated, { purchaseId, orderId });

export const orderRejected = (purchaseId: string, reason: string): CreateOrderReply => messageOf(OrderRejected, { purchaseId, reason });

export const orderApproved = (purchaseId: string, orderId: string): ApproveOrderReply => messageOf(OrderApproved, { purchaseId, orderId });

/** Why no order can be made of this command, or null when it describes a valid one. */
export function orderDefect(command: CreateOrder): string | null {
  const products = new Set(command.items.map((item) => item.productId));
  if (products.size !== command.items.length) return "the items name a product more than once";
  const total = itemsTotal(command.items);
  if (total !== BigInt(command.amount)) return `the amount ${command.amount} is not the items' total ${total}`;
  return null;
}

/** A CreateOrder for a purchase that already has an order: a re-send gets the same answer; a cancelled purchase stays cancelled. */
export function replyToExistingOrder(existing: OrderState): CreateOrderReply {
  return existing.status === "CANCELLED"
    ? orderRejected(existing.purchase_id, "the order for this purchase was cancelled")
    : orderCreated(existing.purchase_id, existing.id);
}

/** An ApproveOrder that found no CREATED order: already approved is a re-send; anything else cannot be approved. */
export function replyToUnapprovable(purchaseId: string, existing: OrderState | undefined): ApproveOrderReply {
  if (existing?.status === "APPROVED") return orderApproved(purchaseId, existing.id);
  throw new OrderNotApprovableError(
    existing ? `order ${existing.id} of purchase ${purchaseId} is ${existing.status}, not CREATED` : `purchase ${purchaseId} has no order`,
  );
}

/**
 * What a CancelOrder answers, given the purchase's order after the cancel ran
 * (which cancels only a CREATED order, or leaves a tombstone where there was
 * none). An approved order stays approved, and saying "cancelled" would be a
 * lie the saga acts on: it is refused, for an operator to decide.
 */
export function replyToCancel(purchaseId: string, after: OrderState): CancelOrderReply {
  switch (after.status) {
    case "CANCELLED":
      return messageOf(OrderCancelled, { purchaseId });
    case "APPROVED":
      return messageOf(OrderNotCancellable, { purchaseId, orderId: after.id, reason: `order ${after.id} is already APPROVED` });
    case "CREATED":
      // The cancel moves CREATED to CANCELLED in the same transaction: this would be a broken store, not an answer.
      throw new Error(`order ${after.id} of purchase ${purchaseId} is still CREATED after its cancel`);
  }
}
