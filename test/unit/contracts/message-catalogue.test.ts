/**
 * The message catalogue (contracts/): every message declared once, on a
 * declared topic, handled by the topic's reader, and checked as declared.
 */
import Validator from "fastest-validator";
import * as account from "../../../contracts/account";
import * as product from "../../../contracts/product";
import * as purchaseSaga from "../../../contracts/purchase-saga";
import { TOPICS, TOPIC_READERS, isDeclaredTopic } from "../../../contracts/topics";
import type { MessageDeclaration, PayloadOf } from "../../../lib/messages/message-declaration";
import { sagaReplySchema, replyFor, type SagaCommand } from "../../../lib/saga/messages";
import { transition, type TransitionResult } from "../../../lib/saga/transitions";
import { orderCommandHandlers } from "../../../services/order/order-commands";
import { paymentCommandHandlers } from "../../../services/payment/payment-commands";
import { productCommandHandlers } from "../../../services/product/product-commands";
import { buildPurchaseSaga } from "../../../services/orchestrator/purchase-saga";

const isDeclaration = (value: unknown): value is MessageDeclaration =>
  typeof value === "object" && value !== null && "name" in value && "topic" in value && "schema" in value;
const catalogue = [account, product, purchaseSaga].flatMap((module) => Object.values(module).filter(isDeclaration));
const declaredOn = (topic: string) => catalogue.filter((d) => d.topic === topic).map((d) => d.name);

const validator = new Validator();
const checker = (schema: object) => validator.compile({ $$root: false, ...schema });

const PURCHASE_ID = "3f0c2a9e-8b7d-4c6e-9f10-1a2b3c4d5e6f";
const CUSTOMER_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";

describe("the message catalogue", () => {
  it("declares each message once, on a topic the system declares", () => {
    const names = catalogue.map((d) => `${d.topic}/${d.name}`);
    expect(new Set(names).size).toBe(names.length);
    for (const declaration of catalogue) expect(Object.keys(TOPICS)).toContain(declaration.topic);
  });

  it.each([
    ["product", purchaseSaga.ReserveInventory.topic, productCommandHandlers],
    ["order", purchaseSaga.CreateOrder.topic, orderCommandHandlers],
    ["payment", purchaseSaga.ProcessPayment.topic, paymentCommandHandlers({ initialCredit: 0, currency: "VND" })],
  ])("has the %s service handle every command declared on its topic, and nothing else", (service, topic, handlers) => {
    expect(isDeclaredTopic(topic) && TOPIC_READERS[topic].map((r) => r.service)).toEqual([service]);
    expect(Object.keys(handlers).sort()).toEqual(declaredOn(topic).sort());
  });

  it("has the purchase saga send and take only what it declares", () => {
    const saga = buildPurchaseSaga({ step: budget, retriable: budget, compensation: budget });
    const commandTopics = new Set(saga.steps.map((s) => s.topic));
    expect([...commandTopics].sort()).toEqual([purchaseSaga.ReserveInventory.topic, purchaseSaga.CreateOrder.topic, purchaseSaga.ProcessPayment.topic].sort());
    expect([...saga.replies.keys()].sort()).toEqual(declaredOn(saga.replyTopic).sort());
  });
});

const budget = { ms: 1_000, maxAttempts: 1, backoffMs: 0 };

describe("a reply checked against its declaration", () => {
  const command: SagaCommand = {
    type: purchaseSaga.CreateOrder.name,
    correlation: { sagaType: "purchase", sagaId: PURCHASE_ID, step: 1, direction: "forward", attempt: 1 },
    replyTo: "saga.replies",
    payload: {},
  };
  const isOrderCreated = checker(sagaReplySchema(purchaseSaga.OrderCreated));

  it("passes with every declared field", () => {
    const payload: PayloadOf<typeof purchaseSaga.OrderCreated> = { purchaseId: PURCHASE_ID, orderId: CUSTOMER_ID };
    expect(isOrderCreated(replyFor(command, "OrderCreated", payload))).toBe(true);
  });

  it("fails, naming the field, when one is missing: the saga never folds it into its data", () => {
    const result = isOrderCreated(replyFor(command, "OrderCreated", { purchaseId: PURCHASE_ID }));
    expect(result).not.toBe(true);
    expect((result as { field: string }[]).map((e) => e.field)).toEqual(["payload.orderId"]);
  });
});

describe("the saga's result, as the engine writes it", () => {
  const ORDER_ID = "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6";
  const PAYMENT_ID = "6c5b4a39-2817-4605-9f4e-3d2c1b0a9f8e";
  const data: purchaseSaga.PurchaseCreated = {
    purchaseId: PURCHASE_ID,
    customerId: CUSTOMER_ID,
    items: [{ productId: 1, quantity: 2, unitPrice: 300 }],
    amount: 600,
    currency: "VND",
  };
  const saga = buildPurchaseSaga({ step: budget, retriable: budget, compensation: budget }, undefined, undefined, 1);
  const SUCCESS: Record<string, [MessageDeclaration, object]> = {
    ReserveInventory: [purchaseSaga.InventoryReserved, { purchaseId: PURCHASE_ID }],
    CreateOrder: [purchaseSaga.OrderCreated, { purchaseId: PURCHASE_ID, orderId: ORDER_ID }],
    ProcessPayment: [purchaseSaga.PaymentCompleted, { purchaseId: PURCHASE_ID, paymentId: PAYMENT_ID }],
    ApproveOrder: [purchaseSaga.OrderApproved, { purchaseId: PURCHASE_ID, orderId: ORDER_ID }],
  };
  let replies = 0;
  const answer = (result: TransitionResult<purchaseSaga.PurchaseSagaData>, reply: (command: SagaCommand) => [MessageDeclaration, object]) => {
    const command = result.messages[0]!.payload as SagaCommand;
    const [declaration, payload] = reply(command);
    const messageId = `00000000-0000-4000-8000-${String(++replies).padStart(12, "0")}`;
    return transition(saga, result.state, { type: "Reply", messageId, reply: replyFor(command, declaration.name, payload), now: new Date() });
  };

  it("SagaCompleted passes the schema the purchase service checks it with", () => {
    let result = transition(saga, null, { type: "Start", sagaId: PURCHASE_ID, data, now: new Date() });
    while (result.state.status === "RUNNING") result = answer(result, (command) => SUCCESS[command.type]!);
    const [message] = result.messages;
    expect(message).toMatchObject({ type: purchaseSaga.PurchaseSagaCompleted.name, topic: purchaseSaga.PurchaseSagaCompleted.topic });
    expect(checker(purchaseSaga.PurchaseSagaCompleted.schema)(message!.payload)).toBe(true);
  });

  it("SagaFailed passes the schema the purchase service checks it with", () => {
    const started = transition(saga, null, { type: "Start", sagaId: PURCHASE_ID, data, now: new Date() });
    const refused = answer(started, () => [purchaseSaga.InventoryRejected, { purchaseId: PURCHASE_ID, reason: "sold out" }]);
    const [message] = refused.messages;
    expect(message).toMatchObject({ type: purchaseSaga.PurchaseSagaFailed.name, topic: purchaseSaga.PurchaseSagaFailed.topic });
    expect(checker(purchaseSaga.PurchaseSagaFailed.schema)(message!.payload)).toBe(true);
  });
});
