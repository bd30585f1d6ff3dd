/** The order service's part in the purchase saga: CreateOrder, ApproveOrder and CancelOrder. */
import type { Knex } from "knex";
import { ApproveOrder, CancelOrder, CreateOrder } from "../../contracts/purchase-saga";
import type { SagaCommand } from "../../lib/saga/messages";
import {
  type ApproveOrderReply,
  type CreateOrderReply,
  orderApproved,
  orderCreated,
  orderDefect,
  orderRejected,
  replyToCancel,
  replyToExistingOrder,
  replyToUnapprovable,
  type CancelOrderReply,
} from "./order-decisions";
import { approveCreatedOrder, cancelOrderOfPurchase, findOrderByPurchase, insertOrder } from "./order-store";
import { sagaCommandHandler } from "../../lib/saga/participant";

async function createOrder(trx: Knex.Transaction, command: SagaCommand<CreateOrder>): Promise<CreateOrderReply> {
  const order = command.payload;
  const defect = orderDefect(order);
  if (defect) return orderRejected(order.purchaseId, defect);
  const orderId = await insertOrder(trx, order);
  if (orderId) return orderCreated(order.purchaseId, orderId);
  // The purchase already has a row (rows are never deleted), so this finds it.
  return replyToExistingOrder((await findOrderByPurchase(trx, order.purchaseId))!);
}

async function approveOrder(trx: Knex.Transaction, command: SagaCommand<ApproveOrder>): Promise<ApproveOrderReply> {
  const { purchaseId } = command.payload;
  const orderId = await approveCreatedOrder(trx, purchaseId);
  if (orderId) return orderApproved(purchaseId, orderId);
  return replyToUnapprovable(purchaseId, await findOrderByPurchase(trx, purchaseId));
}

/** OrderCancelled also when there was nothing to cancel (a tombstone then stops a late CreateOrder); never for an approved order. */
async function cancelOrder(trx: Knex.Transaction, command: SagaCommand<CancelOrder>): Promise<CancelOrderReply> {
  const { purchaseId } = command.payload;
  await cancelOrderOfPurchase(trx, purchaseId);
  // The cancel left a row either way (the order, or a tombstone), so this finds it.
  return replyToCancel(purchaseId, (await findOrderByPurchase(trx, purchaseId))!);
}

export const orderCommandHandlers = {
  [CreateOrder.name]: sagaCommandHandler(CreateOrder, createOrder),
  [ApproveOrder.name]: sagaCommandHandler(ApproveOrder, approveOrder),
  [CancelOrder.name]: sagaCommandHandler(CancelOrder, cancelOrder),
};
