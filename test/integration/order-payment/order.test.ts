/**
 * The order service as a saga participant, driven through Kafka exactly as
 * the orchestrator drives it, plus its owner-only read.
 */
import { randomUUID } from "node:crypto";
import knex from "knex";
import type { KafkaMessage } from "kafkajs";
import type { ServiceBroker } from "moleculer";
import {
  ApproveOrder,
  CancelOrder,
  CreateOrder,
  OrderApproved,
  OrderCancelled,
  OrderCreated,
  OrderNotCancellable,
  OrderRejected,
} from "../../../contracts/purchase-saga";
import { databaseUrl } from "../../../lib/environment";
import type { MessageDeclaration, PayloadOf } from "../../../lib/messages/message-declaration";
import { DEAD_LETTER_REASON_HEADER, deadLetterTopic } from "../../../mixins/idempotent-channel";
import { orderCommandHandlers } from "../../../services/order/order-commands";
import OrderService from "../../../services/order/order.service";
import { startBroker } from "../../support/broker";
import { collectTopic, headerValue } from "../../support/kafka";
import { waitUntil } from "../../support/wait";
import { someoneWaitsOnALock } from "./lock-waits";
import { OrchestratorStandIn } from "./orchestrator-stand-in";

// Steps of the purchase saga, from 0: reserve, create order, pay, approve.
const CREATE_STEP = 1;
const APPROVE_STEP = 3;

const orderDb = knex({ client: "pg", connection: databaseUrl("order"), pool: { min: 0, max: 4 } });
let broker: ServiceBroker;
let orchestrator: OrchestratorStandIn;
let deadLetters: { records: KafkaMessage[]; stop: () => Promise<void> };

beforeAll(async () => {
  orchestrator = await OrchestratorStandIn.start();
  deadLetters = await collectTopic(deadLetterTopic(CreateOrder.topic));
  broker = await startBroker([OrderService]);
});

afterAll(async () => {
  await broker?.stop();
  await orchestrator?.stop();
  await deadLetters?.stop();
  await orderDb.destroy();
});

function anOrder(overrides: Partial<CreateOrder> = {}): CreateOrder {
  return {
    purchaseId: randomUUID(),
    customerId: randomUUID(),
    items: [
      { productId: 11, quantity: 4, unitPrice: 1390 },
      { productId: 7, quantity: 5, unitPrice: 3780 },
    ],
    amount: 4 * 1390 + 5 * 3780,
    currency: "VND",
    ...overrides,
  };
}

const createOrder = (order: CreateOrder, attempt = 1) => orchestrator.send(CreateOrder, order.purchaseId, order, { step: CREATE_STEP, attempt });
const approveOrder = (purchaseId: string, attempt = 1) => orchestrator.send(ApproveOrder, purchaseId, { purchaseId }, { step: APPROVE_STEP, attempt });
const cancelOrder = (purchaseId: string) => orchestrator.send(CancelOrder, purchaseId, { purchaseId }, { step: CREATE_STEP, direction: "compensate" });

const orderOf = (purchaseId: string) => broker.call<Record<string, any> | null, { purchaseId: string }>("order.byPurchase", { purchaseId });
const ordersOfPurchase = async (purchaseId: string) =>
  Number((await orderDb("orders").where({ purchase_id: purchaseId }).count<{ count: string }[]>("* as count"))[0].count);
const asCustomer = (id: string) => ({ meta: { user: { id, role: "customer" } } });

async function createdOrder(order: CreateOrder): Promise<string> {
  const reply = await orchestrator.replyTo<typeof OrderCreated>(await createOrder(order));
  expect(reply.type).toBe(OrderCreated.name);
  return reply.payload.orderId;
}

describe("CreateOrder", () => {
  test("creates the order with its items and replies OrderCreated, echoing the correlation", async () => {
    const order = anOrder();
    const sent = await createOrder(order);

    const reply = await orchestrator.replyTo<typeof OrderCreated>(sent);
    expect(reply).toEqual({
      type: OrderCreated.name,
      correlation: sent.correlation,
      payload: { purchaseId: order.purchaseId, orderId: expect.any(String) },
    });
    expect(await orderOf(order.purchaseId)).toMatchObject({
      id: reply.payload.orderId,
      customer_id: order.customerId,
      status: "CREATED",
      amount: 24460,
      currency: "VND",
      items: [
        { product_id: 7, quantity: 5, unit_price: 3780 },
        { product_id: 11, quantity: 4, unit_price: 1390 },
      ],
    });
  });

  test("a re-sent CreateOrder answers with the same order and creates no second one", async () => {
    const order = anOrder();
    const orderId = await createdOrder(order);

    const again = await orchestrator.replyTo<typeof OrderCreated>(await createOrder(order, 2));
    expect(again.type).toBe(OrderCreated.name);
    expect(again.payload.orderId).toBe(orderId);
    expect(await ordersOfPurchase(order.purchaseId)).toBe(1);
  });

  test("an amount that is not the items' total is rejected and nothing is recorded", async () => {
    const order = anOrder({ amount: 1 });
    const reply = await orchestrator.replyTo<typeof OrderRejected>(await createOrder(order));

    expect(reply.type).toBe(OrderRejected.name);
    expect(reply.payload.reason).toMatch(/not the items' total 24460/);
    expect(await orderOf(order.purchaseId)).toBeNull();
  });

  test("a command that fails validation goes to the dead-letter topic with the reason", async () => {
    const order = anOrder({ customerId: "not-a-uuid" });
    const sent = await createOrder(order);

    const letter = await waitUntil("the dead letter", () => deadLetters.records.find((r) => headerValue(r, "id") === sent.id));
    expect(headerValue(letter, DEAD_LETTER_REASON_HEADER)).toMatch(/invalid CreateOrder.*customerId/);
    expect(await orderOf(order.purchaseId)).toBeNull();
  });
});

describe("ApproveOrder", () => {
  test("approves a created order, and answers a re-send the same way", async () => {
    const order = anOrder();
    const orderId = await createdOrder(order);

    const approved = await orchestrator.replyTo<typeof OrderApproved>(await approveOrder(order.purchaseId));
    expect(approved).toMatchObject({ type: OrderApproved.name, payload: { purchaseId: order.purchaseId, orderId } });
    expect(await orderOf(order.purchaseId)).toMatchObject({ status: "APPROVED" });

    const again = await orchestrator.replyTo<typeof OrderApproved>(await approveOrder(order.purchaseId, 2));
    expect(again).toMatchObject({ type: OrderApproved.name, payload: { orderId } });
  });

  test("a cancelled order is never approved: the command is dead-lettered for an operator", async () => {
    const order = anOrder();
    await createdOrder(order);
    await orchestrator.replyTo(await cancelOrder(order.purchaseId));

    const sent = await approveOrder(order.purchaseId);
    const letter = await waitUntil("the dead letter", () => deadLetters.records.find((r) => headerValue(r, "id") === sent.id));
    expect(headerValue(letter, DEAD_LETTER_REASON_HEADER)).toMatch(/is CANCELLED, not CREATED/);
    expect(orchestrator.repliesTo(sent)).toEqual([]);
    expect(await orderOf(order.purchaseId)).toMatchObject({ status: "CANCELLED" });
  });
});

describe("CancelOrder", () => {
  test("cancels a created order and replies OrderCancelled", async () => {
    const order = anOrder();
    const orderId = await createdOrder(order);

    const reply = await orchestrator.replyTo(await cancelOrder(order.purchaseId));
    expect(reply).toMatchObject({ type: OrderCancelled.name, payload: { purchaseId: order.purchaseId } });
    expect(await orderOf(order.purchaseId)).toMatchObject({ id: orderId, status: "CANCELLED" });
  });

  test("leaves an approved order approved and says so: OrderNotCancellable, never a false OrderCancelled", async () => {
    const order = anOrder();
    const orderId = await createdOrder(order);
    await orchestrator.replyTo(await approveOrder(order.purchaseId));

    const reply = await orchestrator.replyTo(await cancelOrder(order.purchaseId));
    expect(reply).toMatchObject({
      type: OrderNotCancellable.name,
      payload: { purchaseId: order.purchaseId, orderId, reason: expect.stringMatching(/APPROVED/) },
    });
    expect(await orderOf(order.purchaseId)).toMatchObject({ status: "APPROVED" });
  });

  test("overtaking its CreateOrder, it leaves a tombstone: the late CreateOrder is rejected", async () => {
    const order = anOrder();
    const cancelled = await orchestrator.replyTo(await cancelOrder(order.purchaseId));
    expect(cancelled.type).toBe(OrderCancelled.name);

    const late = await orchestrator.replyTo<typeof OrderRejected>(await createOrder(order));
    expect(late).toMatchObject({ type: OrderRejected.name, payload: { purchaseId: order.purchaseId, reason: expect.stringMatching(/cancelled/) } });
    expect(await orderOf(order.purchaseId)).toMatchObject({ status: "CANCELLED", customer_id: null, items: [] });
  });

  test("racing an uncommitted CreateOrder, it waits for it and cancels the order it made", async () => {
    const order = anOrder();
    const inbound = <D extends MessageDeclaration>(command: D, payload: PayloadOf<D>) =>
      orchestrator.inbound(command, order.purchaseId, payload, { step: CREATE_STEP });

    const creating = await orderDb.transaction();
    await orderCommandHandlers.CreateOrder.handle(creating, inbound(CreateOrder, order));
    const cancelling = orderDb.transaction((trx) => orderCommandHandlers.CancelOrder.handle(trx, inbound(CancelOrder, { purchaseId: order.purchaseId })));
    await waitUntil("the cancellation to wait for the creation", () => someoneWaitsOnALock(orderDb));
    await creating.commit();
    await cancelling;

    expect(await orderOf(order.purchaseId)).toMatchObject({ status: "CANCELLED", customer_id: order.customerId });
  });
});

describe("order.get", () => {
  test("shows the owner the order with its items, in snake_case", async () => {
    const order = anOrder();
    const orderId = await createdOrder(order);

    const view = await broker.call("order.get", { id: orderId }, asCustomer(order.customerId));
    expect(view).toEqual({
      id: orderId,
      purchase_id: order.purchaseId,
      status: "CREATED",
      amount: 24460,
      currency: "VND",
      items: [
        { product_id: 7, quantity: 5, unit_price: 3780 },
        { product_id: 11, quantity: 4, unit_price: 1390 },
      ],
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  test("answers 404 to anyone but the owner and for unknown orders, 401 without a caller", async () => {
    const order = anOrder();
    const orderId = await createdOrder(order);

    const notFound = { code: 404, type: "NOT_FOUND" };
    await expect(broker.call("order.get", { id: orderId }, asCustomer(randomUUID()))).rejects.toMatchObject(notFound);
    // Without a caller it is the missing token that answers, as in every service.
    await expect(broker.call("order.get", { id: orderId })).rejects.toMatchObject({ code: 401, type: "NO_TOKEN" });
    await expect(broker.call("order.get", { id: randomUUID() }, asCustomer(order.customerId))).rejects.toMatchObject(notFound);
  });

  test("answers 422 to an id that is not a UUID", async () => {
    await expect(broker.call("order.get", { id: "42" }, asCustomer(randomUUID()))).rejects.toMatchObject({ code: 422 });
  });
});
