/**
 * The purchase saga: reserve inventory and create the order, at once
 * (compensatable) → take payment (the pivot) → approve order (retriable).
 * Version 1 created the order after the reservation; a saga keeps the
 * version it started with, so both are loaded. Up to the payment, a
 * refusal or a step that never answers undoes what was done, in reverse; once
 * the money is taken the saga only moves forward. Timeouts and retry budgets
 * come from configuration; the topics can be swapped so a test can run the
 * saga on private topics, under its own saga type, beside a running system.
 */
import {
  ApproveOrder,
  CancelOrder,
  CreateOrder,
  InventoryRejected,
  InventoryReleased,
  InventoryReserved,
  OrderApproved,
  OrderCancelled,
  OrderCreated,
  OrderNotCancellable,
  OrderRejected,
  PaymentCompleted,
  PaymentDeclined,
  PaymentRefunded,
  ProcessPayment,
  PurchaseCreated,
  PurchaseSagaCompleted,
  PurchaseSagaFailed,
  RefundPayment,
  ReleaseInventory,
  ReserveInventory,
  type PurchaseSagaData,
} from "../../contracts/purchase-saga";
import { defineSaga, type RetryBudget, type SagaDefinition } from "../../lib/saga/definition";

export const PURCHASE_SAGA_TYPE = "purchase";

/** Every version that may have live instances, oldest first: 2 sends the reservation and the order together. */
export const PURCHASE_SAGA_VERSIONS = [1, 2] as const;
export type PurchaseSagaVersion = (typeof PURCHASE_SAGA_VERSIONS)[number];
export const PURCHASE_SAGA_LATEST_VERSION: PurchaseSagaVersion = 2;

export interface PurchaseSagaTopics {
  purchaseEvents: string;
  purchaseResults: string;
  sagaReplies: string;
  productCommands: string;
  orderCommands: string;
  paymentCommands: string;
}

/** The topics the catalogue declares the saga's messages on. */
export const PURCHASE_SAGA_TOPICS: PurchaseSagaTopics = {
  purchaseEvents: PurchaseCreated.topic,
  purchaseResults: PurchaseSagaCompleted.topic,
  sagaReplies: InventoryReserved.topic,
  productCommands: ReserveInventory.topic,
  orderCommands: CreateOrder.topic,
  paymentCommands: ProcessPayment.topic,
};

/** Where each topic's messages travel under `topics`: the declared topic, or a test's private one in its place. */
function routeTo(topics: PurchaseSagaTopics): (topic: string) => string {
  const routes = new Map(Object.entries(PURCHASE_SAGA_TOPICS).map(([role, topic]) => [topic, topics[role as keyof PurchaseSagaTopics]]));
  return (topic) => routes.get(topic) ?? topic;
}

export interface PurchaseSagaPolicy {
  /** Forward steps up to the pivot: every participant handles its commands idempotently, so a late reply is worth a re-send. */
  step: RetryBudget;
  /** Retriable steps after the pivot: past this budget the saga parks (a late reply still completes it). */
  retriable: RetryBudget;
  /** Compensations: past this budget the saga parks as NEEDS_ATTENTION for an operator. */
  compensation: RetryBudget;
}

/**
 * `sagaType` names the saga in the store: an orchestrator advances only sagas
 * of its own type, so a test's private saga (its own topics) is never swept by
 * the running system's orchestrator on the same database, nor the other way round.
 */
export function buildPurchaseSaga(
  policy: PurchaseSagaPolicy,
  topics: PurchaseSagaTopics = PURCHASE_SAGA_TOPICS,
  sagaType = PURCHASE_SAGA_TYPE,
  version: PurchaseSagaVersion = PURCHASE_SAGA_LATEST_VERSION,
): SagaDefinition<PurchaseSagaData> {
  const forward = { ...policy.step, policy: "retry" } as const;
  const undo = policy.compensation;
  const untilDone = { ...policy.retriable, policy: "retry" } as const;
  const reference = (d: PurchaseSagaData) => ({ purchaseId: d.purchaseId });
  return (
    defineSaga<PurchaseSagaData>(sagaType, version, {
      replyTopic: topics.sagaReplies,
      results: { COMPLETED: PurchaseSagaCompleted, FAILED: PurchaseSagaFailed },
      route: routeTo(topics),
    })
      .step("reserve-inventory")
      .invoke(ReserveInventory, (d) => ({ purchaseId: d.purchaseId, items: d.items.map(({ productId, quantity }) => ({ productId, quantity })) }))
      .onReply(InventoryReserved)
      .onFailure(InventoryRejected)
      .withCompensation({ command: ReleaseInventory, payload: reference, reply: InventoryReleased, timeout: undo })
      .timeout(forward)

      // Needs nothing from the reservation, so it goes at the same time (version 1 waited for it).
      .step("create-order")
      .parallelWithPrevious(version >= 2)
      .invoke(CreateOrder, (d) => ({ purchaseId: d.purchaseId, customerId: d.customerId, items: d.items, amount: d.amount, currency: d.currency }))
      .onReply(OrderCreated, (d, reply) => ({ ...d, orderId: reply.orderId }))
      .onFailure(OrderRejected)
      .withCompensation({
        command: CancelOrder,
        payload: reference,
        reply: OrderCancelled,
        // An approved order is not silently left standing: the saga parks for an operator.
        failureReplies: [OrderNotCancellable],
        timeout: undo,
      })
      .timeout(forward)

      // The pivot: once the money is taken, the purchase goes through.
      .step("take-payment")
      .pivot()
      .invoke(ProcessPayment, (d) => ({ purchaseId: d.purchaseId, customerId: d.customerId, amount: d.amount, currency: d.currency }))
      .onReply(PaymentCompleted, (d, reply) => ({ ...d, paymentId: reply.paymentId }))
      .onFailure(PaymentDeclined)
      .withCompensation({ command: RefundPayment, payload: reference, reply: PaymentRefunded, timeout: undo })
      .timeout(forward)

      // Approval confirms what the earlier steps secured: there is no refusal to expect and nothing to undo.
      .step("approve-order")
      .retriable()
      .invoke(ApproveOrder, reference)
      .onReply(OrderApproved)
      .timeout(untilDone)
      .build()
  );
}
