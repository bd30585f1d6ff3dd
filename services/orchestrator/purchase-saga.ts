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
  ORDER_COMMANDS_TOPIC,
  PAYMENT_COMMANDS_TOPIC,
  PRODUCT_COMMANDS_TOPIC,
  PURCHASE_EVENTS_TOPIC,
  PURCHASE_RESULTS_TOPIC,
  PURCHASE_SAGA_MESSAGES as MESSAGES,
  SAGA_REPLIES_TOPIC,
  type ApproveOrder,
  type CancelOrder,
  type CreateOrder,
  type OrderCreated,
  type PaymentCompleted,
  type ProcessPayment,
  type PurchaseSagaData,
  type RefundPayment,
  type ReleaseInventory,
  type ReserveInventory,
} from "../../contracts/purchase-saga";
import { defineSaga, type RetryBudget, type SagaDefinition } from "../../lib/saga/definition";

export const PURCHASE_SAGA_TYPE = "purchase";

/** Every version that may have live instances, oldest first: 2 sends the reservation and the order together. */
export const PURCHASE_SAGA_VERSIONS = [1, 2] as const;
export type PurchaseSagaVersion = (typeof PURCHASE_SAGA_VERSIONS)[number];
const LATEST_VERSION: PurchaseSagaVersion = 2;

export interface PurchaseSagaTopics {
  purchaseEvents: string;
  purchaseResults: string;
  sagaReplies: string;
  productCommands: string;
  orderCommands: string;
  paymentCommands: string;
}

export const PURCHASE_SAGA_TOPICS: PurchaseSagaTopics = {
  purchaseEvents: PURCHASE_EVENTS_TOPIC,
  purchaseResults: PURCHASE_RESULTS_TOPIC,
  sagaReplies: SAGA_REPLIES_TOPIC,
  productCommands: PRODUCT_COMMANDS_TOPIC,
  orderCommands: ORDER_COMMANDS_TOPIC,
  paymentCommands: PAYMENT_COMMANDS_TOPIC,
};

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
  version: PurchaseSagaVersion = LATEST_VERSION,
): SagaDefinition<PurchaseSagaData> {
  const forward = { ...policy.step, policy: "retry" } as const;
  const undo = policy.compensation;
  const untilDone = { ...policy.retriable, policy: "retry" } as const;
  return (
    defineSaga<PurchaseSagaData>(sagaType, version, { replyTopic: topics.sagaReplies, resultTopic: topics.purchaseResults })
      .step("reserve-inventory")
      .invoke({
        topic: topics.productCommands,
        command: (d) => ({
          type: MESSAGES.ReserveInventory,
          payload: { purchaseId: d.purchaseId, items: d.items.map(({ productId, quantity }) => ({ productId, quantity })) } satisfies ReserveInventory,
        }),
      })
      .onReply(MESSAGES.InventoryReserved)
      .onFailure(MESSAGES.InventoryRejected)
      .withCompensation({
        command: (d) => ({ type: MESSAGES.ReleaseInventory, payload: { purchaseId: d.purchaseId } satisfies ReleaseInventory }),
        replyType: MESSAGES.InventoryReleased,
        timeout: undo,
      })
      .timeout(forward)

      // Needs nothing from the reservation, so it goes at the same time (version 1 waited for it).
      .step("create-order")
      .parallelWithPrevious(version >= 2)
      .invoke({
        topic: topics.orderCommands,
        command: (d) => ({
          type: MESSAGES.CreateOrder,
          payload: { purchaseId: d.purchaseId, customerId: d.customerId, items: d.items, amount: d.amount, currency: d.currency } satisfies CreateOrder,
        }),
      })
      .onReply<OrderCreated>(MESSAGES.OrderCreated, (d, reply) => ({ ...d, orderId: reply.orderId }))
      .onFailure(MESSAGES.OrderRejected)
      .withCompensation({
        command: (d) => ({ type: MESSAGES.CancelOrder, payload: { purchaseId: d.purchaseId } satisfies CancelOrder }),
        replyType: MESSAGES.OrderCancelled,
        // An approved order is not silently left standing: the saga parks for an operator.
        failureReplies: [MESSAGES.OrderNotCancellable],
        timeout: undo,
      })
      .timeout(forward)

      // The pivot: once the money is taken, the purchase goes through.
      .step("take-payment")
      .pivot()
      .invoke({
        topic: topics.paymentCommands,
        command: (d) => ({
          type: MESSAGES.ProcessPayment,
          payload: { purchaseId: d.purchaseId, customerId: d.customerId, amount: d.amount, currency: d.currency } satisfies ProcessPayment,
        }),
      })
      .onReply<PaymentCompleted>(MESSAGES.PaymentCompleted, (d, reply) => ({ ...d, paymentId: reply.paymentId }))
      .onFailure(MESSAGES.PaymentDeclined)
      .withCompensation({
        command: (d) => ({ type: MESSAGES.RefundPayment, payload: { purchaseId: d.purchaseId } satisfies RefundPayment }),
        replyType: MESSAGES.PaymentRefunded,
        timeout: undo,
      })
      .timeout(forward)

      // Approval confirms what the earlier steps secured: there is no refusal to expect and nothing to undo.
      .step("approve-order")
      .retriable()
      .invoke({
        topic: topics.orderCommands,
        command: (d) => ({ type: MESSAGES.ApproveOrder, payload: { purchaseId: d.purchaseId } satisfies ApproveOrder }),
      })
      .onReply(MESSAGES.OrderApproved)
      .timeout(untilDone)
      .build()
  );
}

/** Every reply type the definition waits for, success, failure and compensation alike. */
export function replyTypesOf<Data>(definition: SagaDefinition<Data>): string[] {
  const types = definition.steps.flatMap((step) => [
    ...step.successReplies.keys(),
    ...step.failureReplies,
    ...(step.compensation ? [step.compensation.replyType, ...(step.compensation.failureReplies ?? [])] : []),
  ]);
  return [...new Set(types)];
}
