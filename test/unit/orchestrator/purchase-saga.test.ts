/** The purchase saga definition, driven through the pure state machine: which commands go where, in what order, with what. */
import type { PurchaseSagaData } from "../../../contracts/purchase-saga";
import { replyFor, type SagaCommand, type SagaResult } from "../../../lib/saga/messages";
import type { SagaState } from "../../../lib/saga/state";
import { transition, type TransitionResult } from "../../../lib/saga/transitions";
import { PURCHASE_SAGA_TOPICS, PURCHASE_SAGA_TYPE, buildPurchaseSaga } from "../../../services/orchestrator/purchase-saga";

const PURCHASE_ID = "3f0c2a9e-8b7d-4c6e-9f10-1a2b3c4d5e6f";
const CUSTOMER_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
const ORDER_ID = "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6";
const PAYMENT_ID = "6c5b4a39-2817-4605-9f4e-3d2c1b0a9f8e";
const T0 = new Date("2030-01-01T00:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);

const policy = {
  step: { ms: 10_000, maxAttempts: 2, backoffMs: 1_000 },
  retriable: { ms: 10_000, maxAttempts: 3, backoffMs: 1_000 },
  compensation: { ms: 5_000, maxAttempts: 3, backoffMs: 0 },
};
// Version 1, one step after another: sagas started before version 2 still run it.
const saga = buildPurchaseSaga(policy, PURCHASE_SAGA_TOPICS, PURCHASE_SAGA_TYPE, 1);

const created: PurchaseSagaData = {
  purchaseId: PURCHASE_ID,
  customerId: CUSTOMER_ID,
  items: [
    { productId: 11, quantity: 4, unitPrice: 3780 },
    { productId: 12, quantity: 5, unitPrice: 1200 },
  ],
  amount: 21_120,
  currency: "VND",
};

let replies = 0;
type Result = TransitionResult<PurchaseSagaData>;

function start(): Result {
  return transition(saga, null, { type: "Start", sagaId: PURCHASE_ID, data: created, now: T0 });
}

/** The one command a transition sent, with the topic it went to. */
function sentCommand(result: Result): SagaCommand & { topic: string } {
  expect(result.messages).toHaveLength(1);
  const [message] = result.messages;
  return { ...(message!.payload as SagaCommand), topic: message!.topic };
}

function answer(result: Result, type: string, payload: object = {}, now = T0): Result {
  replies += 1;
  const messageId = `00000000-0000-4000-8000-${String(replies).padStart(12, "0")}`;
  const reply = replyFor(sentCommand(result), type, { purchaseId: PURCHASE_ID, ...payload });
  return transition(saga, result.state, { type: "Reply", messageId, reply, now });
}

function deadlinePassed(state: SagaState<PurchaseSagaData>): Result {
  return transition(saga, state, { type: "StepDeadlinePassed", now: state.deadlineAt! });
}

/** Answers each compensation with its success reply; returns the compensation commands in the order sent. */
function acknowledgeCompensations(result: Result, undone: Record<string, string>): { final: Result; sent: string[] } {
  const sent: string[] = [];
  while (result.state.status === "COMPENSATING") {
    const command = sentCommand(result);
    sent.push(command.type);
    result = answer(result, undone[command.type]!);
  }
  return { final: result, sent };
}

const UNDONE = { ReleaseInventory: "InventoryReleased", CancelOrder: "OrderCancelled", RefundPayment: "PaymentRefunded" };

function sagaResult(result: Result): SagaResult<PurchaseSagaData> {
  expect(result.messages).toHaveLength(1);
  expect(result.messages[0]?.topic).toBe("purchase.results");
  return result.messages[0]!.payload as SagaResult<PurchaseSagaData>;
}

describe("the happy path", () => {
  it("sends the four commands in order, to the right participants, with the right payloads, and completes", () => {
    const reserve = start();
    expect(sentCommand(reserve)).toEqual({
      topic: "product.commands",
      type: "ReserveInventory",
      replyTo: "saga.replies",
      correlation: { sagaType: "purchase", sagaId: PURCHASE_ID, step: 0, direction: "forward", attempt: 1 },
      // Product and quantity only: prices are not the inventory's business.
      payload: {
        purchaseId: PURCHASE_ID,
        items: [
          { productId: 11, quantity: 4 },
          { productId: 12, quantity: 5 },
        ],
      },
    });

    const createOrder = answer(reserve, "InventoryReserved");
    expect(sentCommand(createOrder)).toMatchObject({
      topic: "order.commands",
      type: "CreateOrder",
      payload: { purchaseId: PURCHASE_ID, customerId: CUSTOMER_ID, items: created.items, amount: 21_120, currency: "VND" },
    });

    const pay = answer(createOrder, "OrderCreated", { orderId: ORDER_ID });
    expect(sentCommand(pay)).toMatchObject({
      topic: "payment.commands",
      type: "ProcessPayment",
      payload: { purchaseId: PURCHASE_ID, customerId: CUSTOMER_ID, amount: 21_120, currency: "VND" },
    });
    expect(pay.state.data.orderId).toBe(ORDER_ID);

    const approve = answer(pay, "PaymentCompleted", { paymentId: PAYMENT_ID });
    expect(sentCommand(approve)).toMatchObject({ topic: "order.commands", type: "ApproveOrder", payload: { purchaseId: PURCHASE_ID } });

    const done = answer(approve, "OrderApproved", { orderId: ORDER_ID });
    expect(done.state.status).toBe("COMPLETED");
    expect(done.messages[0]?.type).toBe("SagaCompleted");
    expect(sagaResult(done)).toEqual({
      sagaType: "purchase",
      sagaId: PURCHASE_ID,
      status: "COMPLETED",
      reason: null,
      data: { ...created, orderId: ORDER_ID, paymentId: PAYMENT_ID },
    });
  });
});

describe("a refusal", () => {
  it("InventoryRejected fails the saga at once: nothing was done, so nothing is compensated", () => {
    const rejected = answer(start(), "InventoryRejected", { reason: "out of stock" });

    expect(rejected.state.status).toBe("FAILED");
    expect(rejected.messages.map((m) => m.type)).toEqual(["SagaFailed"]);
    expect(sagaResult(rejected).reason).toMatch(/reserve-inventory.*InventoryRejected/);
  });

  it("OrderRejected releases the inventory, then fails", () => {
    const rejected = answer(answer(start(), "InventoryReserved"), "OrderRejected", { reason: "customer blocked" });
    const { final, sent } = acknowledgeCompensations(rejected, UNDONE);

    expect(sent).toEqual(["ReleaseInventory"]);
    expect(sagaResult(final)).toMatchObject({ status: "FAILED", reason: expect.stringMatching(/create-order.*OrderRejected/) });
  });

  it("PaymentDeclined cancels the order, then releases the inventory, in that order, and carries the order id in the result", () => {
    const paying = answer(answer(start(), "InventoryReserved"), "OrderCreated", { orderId: ORDER_ID });
    const declined = answer(paying, "PaymentDeclined", { reason: "insufficient funds" });

    expect(sentCommand(declined)).toMatchObject({
      topic: "order.commands",
      type: "CancelOrder",
      correlation: { step: 1, direction: "compensate", attempt: 1 },
      payload: { purchaseId: PURCHASE_ID },
    });
    const { final, sent } = acknowledgeCompensations(declined, UNDONE);

    expect(sent).toEqual(["CancelOrder", "ReleaseInventory"]);
    expect(final.state.status).toBe("FAILED");
    expect(sagaResult(final)).toMatchObject({
      status: "FAILED",
      reason: expect.stringMatching(/take-payment.*PaymentDeclined/),
      data: { orderId: ORDER_ID },
    });
    expect(sagaResult(final).data.paymentId).toBeUndefined();
  });
});

describe("deadlines", () => {
  it("re-sends a step whose reply is late, then compensates it and everything before it", () => {
    const paying = answer(answer(start(), "InventoryReserved"), "OrderCreated", { orderId: ORDER_ID });
    const resent = deadlinePassed(paying.state);
    expect(sentCommand(resent)).toMatchObject({ type: "ProcessPayment", correlation: { step: 2, direction: "forward", attempt: 2 } });

    const gaveUp = deadlinePassed(resent.state);
    const { final, sent } = acknowledgeCompensations(gaveUp, UNDONE);

    // Without a reply the payment may have happened: it is refunded too.
    expect(sent).toEqual(["RefundPayment", "CancelOrder", "ReleaseInventory"]);
    expect(sagaResult(final).reason).toMatch(/take-payment.*no reply after 2 attempts/);
  });

  it("past the pivot a late approval is re-sent, then parks the saga, and is never compensated", () => {
    const approving = answer(answer(answer(start(), "InventoryReserved"), "OrderCreated", { orderId: ORDER_ID }), "PaymentCompleted", {
      paymentId: PAYMENT_ID,
    });
    const sends = [approving];
    for (let i = 0; i < 2; i++) sends.push(deadlinePassed(sends[sends.length - 1]!.state));
    expect(sends.map((r) => sentCommand(r)).map((c) => `${c.type}#${c.correlation.attempt}`)).toEqual(["ApproveOrder#1", "ApproveOrder#2", "ApproveOrder#3"]);

    const parked = deadlinePassed(sends[2]!.state);
    expect(parked.messages).toEqual([]);
    expect(parked.state).toMatchObject({ status: "NEEDS_ATTENTION", currentStep: 3, deadlineAt: null, failureReason: null });

    // The first attempt's answer, however late, completes it.
    const replies = sends[0]!;
    const completed = transition(saga, parked.state, {
      type: "Reply",
      messageId: "00000000-0000-4000-8000-00000000a001",
      reply: replyFor(sentCommand(replies), "OrderApproved", { purchaseId: PURCHASE_ID, orderId: ORDER_ID }),
      now: at(999_999),
    });
    expect(completed.state.status).toBe("COMPLETED");
    expect(sagaResult(completed)).toMatchObject({ status: "COMPLETED", data: { orderId: ORDER_ID, paymentId: PAYMENT_ID } });
  });

  it("an order that can no longer be cancelled parks the saga instead of pretending", () => {
    const paying = answer(answer(start(), "InventoryReserved"), "OrderCreated", { orderId: ORDER_ID });
    const cancelling = answer(paying, "PaymentDeclined", { reason: "insufficient funds" });
    const refused = answer(cancelling, "OrderNotCancellable", { orderId: ORDER_ID, reason: "order is APPROVED" });
    expect(refused.state).toMatchObject({ status: "NEEDS_ATTENTION", currentStep: 1 });
    expect(refused.messages).toEqual([]);
    expect(refused.log.find((e) => e.kind === "saga_parked")?.detail.reason).toMatch(/create-order.*refused: OrderNotCancellable \(order is APPROVED\)/);
  });

  it("a compensation that never answers parks the saga for an operator after its budget", () => {
    let result = answer(answer(start(), "InventoryReserved"), "OrderRejected");
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect(sentCommand(result)).toMatchObject({ type: "ReleaseInventory", correlation: { attempt } });
      result = deadlinePassed(result.state);
    }
    expect(result.state.status).toBe("NEEDS_ATTENTION");
    expect(result.messages).toEqual([]);
  });

  it("waits the configured time, longer for each re-send", () => {
    const reserve = start();
    expect(reserve.state.deadlineAt).toEqual(at(10_000));
    expect(deadlinePassed(reserve.state).state.deadlineAt).toEqual(at(10_000 + 11_000));
  });
});

describe("the replies", () => {
  it("are every reply the saga waits for, each once, with its declaration", () => {
    expect([...saga.replies.keys()].sort()).toEqual(
      [
        "InventoryReserved",
        "InventoryRejected",
        "InventoryReleased",
        "OrderCreated",
        "OrderRejected",
        "OrderCancelled",
        "OrderNotCancellable",
        "OrderApproved",
        "PaymentCompleted",
        "PaymentDeclined",
        "PaymentRefunded",
      ].sort(),
    );
    for (const [type, declaration] of saga.replies) expect(declaration).toMatchObject({ name: type, topic: "saga.replies" });
  });
});

describe("topics", () => {
  it("can run on other topics, e.g. a test's private ones", () => {
    const topics = {
      ...PURCHASE_SAGA_TOPICS,
      sagaReplies: "private.saga.replies",
      purchaseResults: "private.purchase.results",
      productCommands: "private.product.commands",
    };
    const budget = { ms: 1, maxAttempts: 1, backoffMs: 0 };
    const privateSaga = buildPurchaseSaga({ step: budget, retriable: budget, compensation: budget }, topics);
    const started = transition(privateSaga, null, { type: "Start", sagaId: PURCHASE_ID, data: created, now: T0 });

    expect(started.messages[0]).toMatchObject({ topic: "private.product.commands", payload: { replyTo: "private.saga.replies" } });
    expect(privateSaga.results).toEqual({
      COMPLETED: { type: "SagaCompleted", topic: "private.purchase.results" },
      FAILED: { type: "SagaFailed", topic: "private.purchase.results" },
    });
  });
});
