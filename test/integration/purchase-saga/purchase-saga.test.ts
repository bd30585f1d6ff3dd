/**
 * The purchase saga end to end on the real pipeline (Postgres outboxes,
 * Debezium, Kafka): the purchase and orchestrator services in-process, with
 * fake participants that answer through their own outbox as each test scripts
 * them. Everything runs on this run's private topics and consumer groups, so
 * a running system (or an earlier run) never sees or answers these messages.
 */
import { randomUUID } from "node:crypto";
import knex, { type Knex } from "knex";
import { type Context, type ServiceBroker, type ServiceSchema } from "moleculer";
import type { ProductPrice, ProductPricesParams } from "../../../contracts/product";

import type { AuthenticatedUser } from "../../../lib/auth/authenticated-user";
import { databaseUrl } from "../../../lib/environment";
import type { MessageHandler } from "../../../lib/inbox/idempotent-consumer";
import { OutboxWriter } from "../../../lib/outbox/outbox-writer";
import { replyFor, type SagaCommand } from "../../../lib/saga/messages";
import type { LogEntry } from "../../../lib/saga/state";
import { DatabaseMixin } from "../../../mixins/database.mixin";
import { DEAD_LETTER_REASON_HEADER, deadLetterTopic, idempotentChannel } from "../../../mixins/idempotent-channel";
import { createOrchestratorService } from "../../../services/orchestrator/orchestrator.service";
import type { PurchaseSagaTopics } from "../../../services/orchestrator/purchase-saga";
import type { StoredSagaView } from "../../../services/orchestrator/saga-views";
import { createPurchaseService } from "../../../services/purchase/purchase.service";

import { startBroker } from "../../support/broker";
import { collectTopic, createTopics, headerValue, publishRaw } from "../../support/kafka";
import { waitUntil } from "../../support/wait";
import { PURCHASE_PROGRESSED_EVENT, type PurchaseProgressed } from "../../../contracts/purchase-progress";
import { CANCELLED_BY_CUSTOMER, PurchaseCancelRequested, PurchaseCreated } from "../../../contracts/purchase-saga";
import { publication } from "../../../lib/messages/message-declaration";
import { PurchaseView } from "../../../services/purchase/purchase-view";

const run = randomUUID().slice(0, 8);
const topics: PurchaseSagaTopics = {
  purchaseEvents: `itest.${run}.purchase.events`,
  purchaseResults: `itest.${run}.purchase.results`,
  sagaReplies: `itest.${run}.saga.replies`,
  productCommands: `itest.${run}.product.commands`,
  orderCommands: `itest.${run}.order.commands`,
  paymentCommands: `itest.${run}.payment.commands`,
};

// Short enough for the deadline tests to be quick, long enough that a healthy reply is never late.
Object.assign(process.env, {
  SAGA_STEP_TIMEOUT_MS: "3000",
  SAGA_STEP_MAX_ATTEMPTS: "2",
  SAGA_STEP_BACKOFF_MS: "5000",
  SAGA_COMPENSATION_TIMEOUT_MS: "2000",
  SAGA_COMPENSATION_MAX_ATTEMPTS: "2",
  SAGA_COMPENSATION_BACKOFF_MS: "0",
  SAGA_RETRIABLE_TIMEOUT_MS: "3000",
  SAGA_RETRIABLE_MAX_ATTEMPTS: "3",
  SAGA_RETRIABLE_BACKOFF_MS: "1000",
  SAGA_SWEEP_INTERVAL_MS: "100",
  STORE_CURRENCY: "VND",
});

const PRICES = new Map([
  [1, 3780],
  [2, 1200],
]);
const SEED_ITEMS = [
  { product_id: 1, quantity: 4 },
  { product_id: 2, quantity: 5 },
];
const SEED_AMOUNT = 4 * 3780 + 5 * 1200;

// ---- fake participants ----

/** What a fake participant does with a command: answer with its success reply, refuse it, or keep silent. */
type Behaviour = "succeed" | "refuse" | "hold";
type Script = Partial<Record<string, Behaviour>>;
type Command = SagaCommand<{ purchaseId: string }>;

const REPLIES: Record<string, { topic: keyof PurchaseSagaTopics; success: string; refusal?: string }> = {
  ReserveInventory: { topic: "productCommands", success: "InventoryReserved", refusal: "InventoryRejected" },
  ReleaseInventory: { topic: "productCommands", success: "InventoryReleased" },
  CreateOrder: { topic: "orderCommands", success: "OrderCreated", refusal: "OrderRejected" },
  CancelOrder: { topic: "orderCommands", success: "OrderCancelled" },
  ApproveOrder: { topic: "orderCommands", success: "OrderApproved" },
  ProcessPayment: { topic: "paymentCommands", success: "PaymentCompleted", refusal: "PaymentDeclined" },
  RefundPayment: { topic: "paymentCommands", success: "PaymentRefunded" },
};

/** Each test's script, by purchase id; a command waits for its purchase's script, so none is answered by guess. */
const scripts = new Map<string, Script>();
/** Every command the fakes handled, in arrival order. */
const received: Command[] = [];
/** The ids the fakes hand out, one of each per purchase (a re-sent command gets the same). */
const fakeIds = new Map<string, { orderId: string; paymentId: string }>();

const participantDb = knex({ client: "pg", connection: databaseUrl("product"), pool: { min: 0, max: 4 } });
const purchaseDb = knex({ client: "pg", connection: databaseUrl("purchase"), pool: { min: 0, max: 2 } });
const outbox = new OutboxWriter();

function idsOf(purchaseId: string) {
  const ids = fakeIds.get(purchaseId) ?? { orderId: randomUUID(), paymentId: randomUUID() };
  fakeIds.set(purchaseId, ids);
  return ids;
}

function replyPayload(type: string, purchaseId: string): object {
  if (type === "OrderCreated" || type === "OrderApproved") return { purchaseId, orderId: idsOf(purchaseId).orderId };
  if (type === "PaymentCompleted") return { purchaseId, paymentId: idsOf(purchaseId).paymentId };
  if (type.endsWith("Rejected") || type.endsWith("Declined")) return { purchaseId, reason: `${type} as the test scripted` };
  return { purchaseId };
}

/** Replies the way a participant does: through its outbox, in its transaction. Returns the message id. */
async function publishReply(trx: Knex.Transaction, command: Command, type: string, payload = replyPayload(type, command.payload.purchaseId)): Promise<string> {
  const [id] = await outbox.append(trx, { topic: command.replyTo, key: command.payload.purchaseId, type, payload: replyFor(command, type, payload) });
  return id!;
}

/** A reply the test sends itself, as if from a participant. */
const answer = (command: Command, type: string, payload: object) => participantDb.transaction((trx) => publishReply(trx, command, type, payload));

const participant: MessageHandler<Command> = {
  async handle(trx, message) {
    const command = message.payload;
    received.push(command);
    const script = await waitUntil(`the script of purchase ${command.payload.purchaseId}`, () => scripts.get(command.payload.purchaseId));
    const behaviour = script[command.type] ?? "succeed";
    if (behaviour === "hold") return;
    const { success, refusal } = REPLIES[command.type]!;
    await publishReply(trx, command, behaviour === "refuse" && refusal ? refusal : success);
  },
};

function participantChannel(topicName: keyof PurchaseSagaTopics) {
  const topic = topics[topicName];
  const commandTypes = Object.keys(REPLIES).filter((type) => REPLIES[type]!.topic === topicName);
  return idempotentChannel({
    topic,
    consumer: `fake-${topicName}-${run}`,
    handlers: Object.fromEntries(commandTypes.map((type) => [type, participant])),
  });
}

const fakeParticipants: ServiceSchema = {
  name: "fake-participants",
  mixins: [DatabaseMixin("product")],
  channels: {
    [topics.productCommands]: participantChannel("productCommands"),
    [topics.orderCommands]: participantChannel("orderCommands"),
    [topics.paymentCommands]: participantChannel("paymentCommands"),
  },
};

/** Stands in for the product service's `prices`, the only thing pricing needs. */
const fakeCatalog: ServiceSchema = {
  name: "product",
  actions: {
    prices: {
      params: { ids: { type: "array", items: "number" } },
      handler(ctx: Context<ProductPricesParams>): ProductPrice[] {
        return ctx.params.ids.flatMap((id) => {
          const price = PRICES.get(id);
          return price === undefined ? [] : [{ id, price }];
        });
      },
    },
  },
};

/** Every `purchase.status-changed` broadcast, in arrival order (the gateway would relay these over SSE). */
const broadcasts: PurchaseView[] = [];
const statusWatcher: ServiceSchema = {
  name: "status-watcher",
  events: {
    "purchase.status-changed"(ctx: Context<PurchaseView>) {
      broadcasts.push(ctx.params);
    },
  },
};

// ---- helpers ----

let broker: ServiceBroker;

const customer = (): AuthenticatedUser => ({ id: randomUUID(), role: "customer" });

interface Created {
  id: string;
  status: string;
  links: { self: string; events: string };
}

/** Makes a purchase as `user` and hands its script to the fake participants. */
async function buy(user: AuthenticatedUser, script: Script = {}, meta: Record<string, unknown> = {}): Promise<Created> {
  const created = await broker.call<Created, object>(
    "purchase.create",
    { order_items: SEED_ITEMS, payment: { currency_code: "VND" } },
    { meta: Object.assign(meta, { user }) },
  );
  scripts.set(created.id, script);
  return created;
}

const view = (id: string, user: AuthenticatedUser) => broker.call<PurchaseView, { id: string }>("purchase.get", { id }, { meta: { user } });
const showSaga = (id: string) => broker.call<StoredSagaView & { log: (LogEntry & { id: string })[] }, { id: string }>("orchestrator.showSaga", { id });

/** Budgets hold on a loaded 2-core machine: deadlines, re-sends and compensations take tens of seconds there. */
const SAGA_BUDGET_MS = 90_000;

function reached(id: string, user: AuthenticatedUser, status: string): Promise<PurchaseView> {
  return waitUntil(
    `purchase ${id} to be ${status}`,
    async () => {
      const current = await view(id, user);
      return current.status === status && current;
    },
    SAGA_BUDGET_MS,
  );
}

const commandsOf = (id: string) => received.filter((command) => command.payload.purchaseId === id);
const commandTypesOf = (id: string) => commandsOf(id).map((c) => c.type);
/** The commands in the order sent, the first two (the reservation and the order, sent at once to two topics) in any order. */
const commandSequenceOf = (id: string) => {
  const [first, second, ...rest] = commandTypesOf(id);
  return [...[first, second].sort(), ...rest];
};
const broadcastsOf = (id: string) => broadcasts.filter((b) => b.id === id);
const progressOf = (id: string) => broadcastsOf(id).map((b) => `${b.status} ${b.step ?? "-"}`);

/** Waits for the broadcast of the purchase's end, which follows the commit that `reached` can already see. */
function endBroadcast(id: string, status: "COMPLETED" | "FAILED"): Promise<PurchaseView> {
  return waitUntil(`the ${status} broadcast of ${id}`, () => broadcastsOf(id).find((b) => b.status === status), SAGA_BUDGET_MS);
}

function expectVersionsToGrow(id: string): void {
  const versions = broadcastsOf(id).map((b) => b.version);
  expect(versions).toEqual([...versions].sort((a, b) => a - b));
  expect(new Set(versions).size).toBe(versions.length);
  expect(versions[0]).toBeGreaterThan(1);
}

beforeAll(async () => {
  const consumed = Object.values(topics);
  await createTopics([...consumed, ...consumed.map(deadLetterTopic)]);
  broker = await startBroker([
    createOrchestratorService({ consumer: `orchestrator-itest-${run}`, topics, sagaType: `purchase-itest-${run}` }),
    createPurchaseService({ consumer: `purchase-itest-${run}`, topics }),
    fakeParticipants,
    fakeCatalog,
    statusWatcher,
  ]);
});

afterAll(async () => {
  await broker?.stop();
  await Promise.all([participantDb.destroy(), purchaseDb.destroy()]);
});

// ---- tests ----

describe("purchase.create and purchase.get", () => {
  it("answers 202 with the purchase's links, records it priced, and shows it to its owner only", async () => {
    const owner = customer();
    const meta: { $statusCode?: number; $location?: string } = {};
    const created = await buy(owner, {}, meta);

    expect(created).toEqual({
      id: expect.any(String),
      status: "PENDING",
      links: { self: `/api/v1/purchases/${created.id}`, events: `/api/v1/purchases/${created.id}/events` },
    });
    expect(meta).toMatchObject({ $statusCode: 202, $responseHeaders: { Location: `/api/v1/purchases/${created.id}` } });
    expect(await view(created.id, owner)).toMatchObject({
      id: created.id,
      amount: SEED_AMOUNT,
      currency: "VND",
      items: [
        { product_id: 1, quantity: 4, unit_price: 3780 },
        { product_id: 2, quantity: 5, unit_price: 1200 },
      ],
    });
    await expect(view(created.id, customer())).rejects.toMatchObject({ code: 404, type: "NOT_FOUND" });
    await expect(view(randomUUID(), owner)).rejects.toMatchObject({ code: 404, type: "NOT_FOUND" });
  });

  it.each([
    [
      "an unknown product",
      { order_items: [{ product_id: 999, quantity: 1 }], payment: { currency_code: "VND" } },
      "UNKNOWN_PRODUCT",
      "order_items[0].product_id",
      /Product 999/,
    ],
    ["another currency", { order_items: SEED_ITEMS, payment: { currency_code: "USD" } }, "VALIDATION_ERROR", "payment.currency_code", /VND only/],
    [
      "a product listed twice",
      { order_items: [SEED_ITEMS[0], SEED_ITEMS[0]], payment: { currency_code: "VND" } },
      "VALIDATION_ERROR",
      "order_items[1].product_id",
      /already listed/,
    ],
    [
      "a quantity over 1000",
      { order_items: [{ product_id: 1, quantity: 1001 }], payment: { currency_code: "VND" } },
      "VALIDATION_ERROR",
      "order_items[0].quantity",
      /1000/,
    ],
  ])("refuses %s with 422 naming the field, and records nothing", async (_, body, type, field, message) => {
    const user = customer();
    const error = await broker.call("purchase.create", body, { meta: { user } }).catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 422, type, data: [expect.objectContaining({ field, message: expect.stringMatching(message) })] });
    expect(await purchaseDb("purchases").where({ customer_id: user.id }).count<{ count: string }[]>("* as count")).toEqual([{ count: "0" }]);
  });
});

describe("the purchase saga", () => {
  it("completes: the reservation and the order at once, then each step in order, each change broadcast with a growing version, ending COMPLETED with the order and payment", async () => {
    const user = customer();
    const { id } = await buy(user);

    const done = await reached(id, user, "COMPLETED");
    expect(done).toMatchObject({ step: null, failure_reason: null, order_id: fakeIds.get(id)?.orderId, payment_id: fakeIds.get(id)?.paymentId });
    expect(commandSequenceOf(id)).toEqual(["CreateOrder", "ReserveInventory", "ProcessPayment", "ApproveOrder"]);
    expect(commandsOf(id).find((c) => c.type === "ProcessPayment")?.payload).toEqual({
      purchaseId: id,
      customerId: user.id,
      amount: SEED_AMOUNT,
      currency: "VND",
    });

    await endBroadcast(id, "COMPLETED");
    expect(progressOf(id)).toEqual(["RUNNING reserve-inventory+create-order", "RUNNING take-payment", "RUNNING approve-order", "COMPLETED -"]);
    expectVersionsToGrow(id);
    expect(broadcastsOf(id).at(-1)).toEqual(done);
  });

  it("a declined payment cancels the order, then releases the inventory, and ends FAILED with the reason", async () => {
    const user = customer();
    const { id } = await buy(user, { ProcessPayment: "refuse" });

    const failed = await reached(id, user, "FAILED");
    expect(failed.failure_reason).toMatch(/take-payment.*PaymentDeclined/);
    expect(failed.payment_id).toBeNull();
    expect(commandSequenceOf(id)).toEqual(["CreateOrder", "ReserveInventory", "ProcessPayment", "CancelOrder", "ReleaseInventory"]);

    await endBroadcast(id, "FAILED");
    expect(progressOf(id)).toEqual([
      "RUNNING reserve-inventory+create-order",
      "RUNNING take-payment",
      "COMPENSATING create-order",
      "COMPENSATING reserve-inventory",
      "FAILED -",
    ]);
    expectVersionsToGrow(id);
  });

  it("a participant that never answers: the command is re-sent, then the deadline compensates that step and the ones before", async () => {
    const user = customer();
    const { id } = await buy(user, { CreateOrder: "hold" });

    const failed = await reached(id, user, "FAILED");
    expect(failed.failure_reason).toMatch(/create-order.*no reply after 2 attempts/);
    const sent = commandsOf(id).map((c) => `${c.type}#${c.correlation.attempt}`);
    expect([...sent.slice(0, 2).sort(), ...sent.slice(2)]).toEqual([
      "CreateOrder#1",
      "ReserveInventory#1",
      // Only the step that has not answered is re-sent.
      "CreateOrder#2",
      // The order may exist though it was never confirmed: it is cancelled too.
      "CancelOrder#1",
      "ReleaseInventory#1",
    ]);
    const saga = await showSaga(id);
    expect(saga.log.filter((e) => e.kind === "deadline_passed")).toHaveLength(2);
  });

  it("duplicate replies (the same messages delivered again) change nothing", async () => {
    const user = customer();
    const { id } = await buy(user);
    const done = await reached(id, user, "COMPLETED");
    await endBroadcast(id, "COMPLETED");
    const before = await showSaga(id);
    const commandsBefore = commandsOf(id).length;
    const broadcastsBefore = broadcastsOf(id).length;

    const replies = await collectTopic(topics.sagaReplies);
    try {
      const originals = await waitUntil("the saga's original replies", () => {
        const ofSaga = replies.records.filter(
          (r) => r.key?.toString() === id && ["InventoryReserved", "PaymentCompleted"].includes(headerValue(r, "type") ?? ""),
        );
        return ofSaga.length === 2 && ofSaga;
      });
      // A reply with a new id right behind the duplicates, in their partition: once it is handled, so are they.
      const marker = randomUUID();
      const first = originals[0]!;
      await publishRaw(topics.sagaReplies, [
        ...originals.map((r) => ({ key: r.key, value: r.value, headers: definedHeaders(r.headers) })),
        { key: first.key, value: first.value, headers: { ...definedHeaders(first.headers), id: marker } },
      ]);
      await waitUntil("the marker reply", async () => (await showSaga(id)).log.some((e) => e.messageId === marker));
    } finally {
      await replies.stop();
    }

    const after = await showSaga(id);
    expect(after.version).toBe(before.version);
    expect(after.data).toEqual(before.data);
    // The log gained only the marker's entry: the duplicates never reached the saga.
    expect(after.log.slice(before.log.length).map((e) => e.kind)).toEqual(["reply_ignored"]);
    expect(await view(id, user)).toEqual(done);
    expect(commandsOf(id)).toHaveLength(commandsBefore);
    expect(broadcastsOf(id)).toHaveLength(broadcastsBefore);
  });

  it("a refused reservation cancels the order made beside it, fails, and a late progress note never reopens it", async () => {
    const user = customer();
    const { id } = await buy(user, { ReserveInventory: "refuse" });
    const failed = await reached(id, user, "FAILED");
    // The refused reservation did nothing, so it is not released.
    expect(commandSequenceOf(id)).toEqual(["CreateOrder", "ReserveInventory", "CancelOrder"]);
    expect(failed.failure_reason).toMatch(/reserve-inventory.*InventoryRejected/);
    await endBroadcast(id, "FAILED");

    // Beside it, a note for a purchase still running: once that one shows, the event has been handled.
    const other = customer();
    const running = await buy(other, { ProcessPayment: "hold" });
    await reached(running.id, other, "RUNNING");
    const late: PurchaseProgressed = {
      notes: [
        { purchaseId: id, status: "RUNNING", step: "take-payment", paymentTaken: false, sagaVersion: 1_000 },
        { purchaseId: running.id, status: "RUNNING", step: "approve-order", paymentTaken: true, sagaVersion: 1_000 },
      ],
    };
    await broker.emit(PURCHASE_PROGRESSED_EVENT, late);
    await waitUntil("the running purchase's note to be applied", async () => (await view(running.id, other)).step === "approve-order");

    expect(await view(id, user)).toEqual(failed);
    expect(broadcastsOf(id).at(-1)?.status).toBe("FAILED");
  });

  it("a late reply to an earlier attempt counts (a re-send asks the same question); the later answer is then a duplicate", async () => {
    const user = customer();
    const { id } = await buy(user, { ProcessPayment: "hold" });
    const [first, second] = await waitUntil(
      "ProcessPayment to be re-sent",
      () => {
        const sent = commandsOf(id).filter((c) => c.type === "ProcessPayment");
        return sent.length === 2 && sent;
      },
      SAGA_BUDGET_MS,
    );
    expect([first!.correlation.attempt, second!.correlation.attempt]).toEqual([1, 2]);

    const paymentId = randomUUID();
    const late = await answer(first!, "PaymentCompleted", { purchaseId: id, paymentId });
    const accepted = await waitUntil("the late reply to be handled", async () => (await showSaga(id)).log.find((e) => e.messageId === late));
    expect(accepted).toMatchObject({ kind: "reply_accepted", detail: { type: "PaymentCompleted", attempt: 1 } });
    expect(await reached(id, user, "COMPLETED")).toMatchObject({ payment_id: paymentId });

    const again = await answer(second!, "PaymentCompleted", { purchaseId: id, paymentId });
    const ignored = await waitUntil("the second answer to be handled", async () => (await showSaga(id)).log.find((e) => e.messageId === again));
    expect(ignored).toMatchObject({ kind: "reply_ignored", detail: { reason: expect.stringMatching(/already ended \(COMPLETED\)/) } });
  });

  it("past the pivot the approval is only ever re-sent, never compensated: a late answer completes the purchase", async () => {
    const user = customer();
    const { id } = await buy(user, { ApproveOrder: "hold" });
    const approvals = await waitUntil(
      "ApproveOrder to be re-sent",
      () => {
        const sent = commandsOf(id).filter((c) => c.type === "ApproveOrder");
        return sent.length >= 2 && sent;
      },
      SAGA_BUDGET_MS,
    );
    const compensations = () => commandTypesOf(id).filter((type) => ["RefundPayment", "CancelOrder", "ReleaseInventory"].includes(type));
    expect(compensations()).toEqual([]);

    await answer(approvals[0]!, "OrderApproved", { purchaseId: id, orderId: idsOf(id).orderId });
    expect(await reached(id, user, "COMPLETED")).toMatchObject({ order_id: idsOf(id).orderId });
    expect(compensations()).toEqual([]);
  });

  it("a reply that does not match its declaration is dead-lettered with the reason and never reaches the saga", async () => {
    const user = customer();
    const { id } = await buy(user, { CreateOrder: "hold" });
    const deadLetters = await collectTopic(deadLetterTopic(topics.sagaReplies));
    try {
      const create = await waitUntil("CreateOrder to be sent", () => commandsOf(id).find((c) => c.type === "CreateOrder"), SAGA_BUDGET_MS);
      // Both at once, before the step's deadline: the same key keeps them in order on one partition.
      const withoutOrderId = await answer(create, "OrderCreated", { purchaseId: id });
      const orderId = randomUUID();
      await answer(create, "OrderCreated", { purchaseId: id, orderId });

      const dead = await waitUntil(
        "the reply in the dead-letter topic",
        () => deadLetters.records.find((r) => headerValue(r, "id") === withoutOrderId),
        SAGA_BUDGET_MS,
      );
      expect(headerValue(dead, DEAD_LETTER_REASON_HEADER)).toMatch(/payload\.orderId/);
      expect(await reached(id, user, "COMPLETED")).toMatchObject({ order_id: orderId });
      expect((await showSaga(id)).log.filter((e) => e.messageId === withoutOrderId)).toEqual([]);
    } finally {
      await deadLetters.stop();
    }
  });

  it("an order that cannot be cancelled parks the saga with the participant's reason, never a false success", async () => {
    const user = customer();
    const { id } = await buy(user, { ProcessPayment: "refuse", CancelOrder: "hold" });
    const cancel = await waitUntil("CancelOrder to be sent", () => commandsOf(id).find((c) => c.type === "CancelOrder"), SAGA_BUDGET_MS);
    await answer(cancel, "OrderNotCancellable", { purchaseId: id, orderId: idsOf(id).orderId, reason: "order is already APPROVED" });

    const parked = await reached(id, user, "NEEDS_ATTENTION");
    expect(parked.step).toBe("create-order");
    const saga = await showSaga(id);
    expect(saga.log.find((e) => e.kind === "saga_parked")?.detail.reason).toMatch(/create-order.*refused: OrderNotCancellable \(order is already APPROVED\)/);
    expect(commandTypesOf(id)).not.toContain("ReleaseInventory");
  });

  it("a compensation that keeps failing parks the saga for an operator, whose retry finishes it", async () => {
    const user = customer();
    const script: Script = { ProcessPayment: "refuse", CancelOrder: "hold" };
    const { id } = await buy(user, script);

    const parked = await reached(id, user, "NEEDS_ATTENTION");
    expect(parked.step).toBe("create-order");
    const listed = await broker.call<StoredSagaView[], object>("orchestrator.listSagas", { status: "NEEDS_ATTENTION", limit: 500 });
    expect(listed.map((s) => s.id)).toContain(id);

    script.CancelOrder = "succeed";
    expect(await broker.call("orchestrator.retrySaga", { id })).toMatchObject({ id, status: "COMPENSATING", stepName: "create-order", attempt: 3 });

    const failed = await reached(id, user, "FAILED");
    expect(failed.failure_reason).toMatch(/take-payment.*PaymentDeclined/);
    expect(
      commandsOf(id)
        .map((c) => `${c.type}#${c.correlation.attempt}`)
        .slice(3),
    ).toEqual(["CancelOrder#1", "CancelOrder#2", "CancelOrder#3", "ReleaseInventory#1"]);
    await endBroadcast(id, "FAILED");
    expect(progressOf(id).slice(2)).toEqual([
      "COMPENSATING create-order",
      "NEEDS_ATTENTION create-order",
      "COMPENSATING create-order",
      "COMPENSATING reserve-inventory",
      "FAILED -",
    ]);
    expect((await showSaga(id)).log.map((e) => e.kind)).toEqual(expect.arrayContaining(["saga_parked", "operator_retry", "saga_failed"]));
    await expect(broker.call("orchestrator.retrySaga", { id })).rejects.toMatchObject({ code: 409 });
  });
});

describe("cancelling a purchase", () => {
  const cancel = (id: string, user: AuthenticatedUser, meta: Record<string, unknown> = {}) =>
    broker.call<PurchaseView, { id: string }>("purchase.cancel", { id }, { meta: Object.assign(meta, { user }) });
  const logOf = async (id: string) => (await showSaga(id)).log;
  const SEED_LINES = SEED_ITEMS.map(({ product_id, quantity }) => ({ productId: product_id, quantity, unitPrice: PRICES.get(product_id)! }));
  const asAnnounced = (purchaseId: string, customerId: string) => ({ purchaseId, customerId, items: SEED_LINES, amount: SEED_AMOUNT, currency: "VND" });
  /** Puts a message on this run's purchase events as the purchase service would, through an outbox; its id. */
  const announce = async (message: ReturnType<typeof publication>) => (await participantDb.transaction((trx) => outbox.append(trx, message)))[0]!;
  const cancelRequestsOf = async (id: string) =>
    Number((await purchaseDb("outbox").where({ aggregateid: id, type: PurchaseCancelRequested.name }).count<{ count: string }[]>("* as count"))[0]!.count);

  it("before the payment undoes the reservation and the order in flight; the purchase fails, the stream shows the request, the log keeps who asked", async () => {
    const user = customer();
    const { id } = await buy(user, { CreateOrder: "hold" });
    await waitUntil("CreateOrder to be sent", () => commandsOf(id).find((c) => c.type === "CreateOrder"), SAGA_BUDGET_MS);

    const meta: { $statusCode?: number } = {};
    const asked = await cancel(id, user, meta);
    expect(meta.$statusCode).toBe(202);
    expect(asked).toMatchObject({ id, status: "RUNNING", cancel_requested_at: expect.any(String) });
    // Asking again sends nothing more: the same request stands, or the purchase already says it is being undone.
    await cancel(id, user).then(
      (again) => expect(again.cancel_requested_at).toBe(asked.cancel_requested_at),
      (error: unknown) => expect(error).toMatchObject({ code: 409, type: "ALREADY_FAILING" }),
    );

    const failed = await reached(id, user, "FAILED");
    expect(failed).toMatchObject({ failure_reason: CANCELLED_BY_CUSTOMER, cancel_requested_at: asked.cancel_requested_at, order_id: null });
    expect(commandSequenceOf(id)).toEqual(["CreateOrder", "ReserveInventory", "CancelOrder", "ReleaseInventory"]);
    expect(await cancelRequestsOf(id)).toBe(1);
    const log = await logOf(id);
    expect(log.filter((e) => e.kind.startsWith("cancel_"))).toEqual([
      expect.objectContaining({ kind: "cancel_accepted", detail: { requestedBy: user.id, reason: CANCELLED_BY_CUSTOMER } }),
    ]);

    await endBroadcast(id, "FAILED");
    const shown = broadcastsOf(id);
    const requestShown = shown.findIndex((b) => b.status === "RUNNING" && b.cancel_requested_at === asked.cancel_requested_at);
    expect(requestShown).toBeGreaterThanOrEqual(0);
    expect(shown.slice(requestShown + 1).map((b) => `${b.status} ${b.step ?? "-"}`)).toEqual([
      "COMPENSATING create-order",
      "COMPENSATING reserve-inventory",
      "FAILED -",
    ]);
    await expect(cancel(id, user)).rejects.toMatchObject({ code: 409, type: "PURCHASE_ENDED" });
  });

  it("a cancel the saga sees while the payment is in flight refunds it too; the payment's late success changes nothing", async () => {
    const user = customer();
    const { id } = await buy(user, { ProcessPayment: "hold" });
    const pay = await waitUntil("ProcessPayment to be sent", () => commandsOf(id).find((c) => c.type === "ProcessPayment"), SAGA_BUDGET_MS);

    await cancel(id, user);
    await waitUntil("RefundPayment to be sent", () => commandsOf(id).find((c) => c.type === "RefundPayment"), SAGA_BUDGET_MS);
    const late = await answer(pay, "PaymentCompleted", { purchaseId: id, paymentId: randomUUID() });

    const failed = await reached(id, user, "FAILED");
    expect(failed).toMatchObject({ failure_reason: CANCELLED_BY_CUSTOMER, payment_id: null });
    expect(commandTypesOf(id).filter((type) => type.endsWith("Payment") || type === "CancelOrder" || type === "ReleaseInventory")).toEqual([
      ...commandTypesOf(id).filter((type) => type === "ProcessPayment"),
      "RefundPayment",
      "CancelOrder",
      "ReleaseInventory",
    ]);
    const lateEntry = await waitUntil("the late payment to be handled", async () => (await logOf(id)).find((e) => e.messageId === late), SAGA_BUDGET_MS);
    expect(lateEntry.kind).toBe("reply_ignored");
  });

  it("a cancel the saga sees after the payment is refused, in the log with who asked, and the purchase completes", async () => {
    const user = customer();
    const { id } = await buy(user, { ApproveOrder: "hold" });
    const approve = await waitUntil("ApproveOrder to be sent", () => commandsOf(id).find((c) => c.type === "ApproveOrder"), SAGA_BUDGET_MS);

    // As the purchase service sends it when it has not yet heard that the payment was taken.
    const request = await announce(publication(PurchaseCancelRequested, id, { ...asAnnounced(id, user.id), requestedBy: user.id }, topics.purchaseEvents));
    const refused = await waitUntil("the cancel to be handled", async () => (await logOf(id)).find((e) => e.messageId === request), SAGA_BUDGET_MS);
    expect(refused).toMatchObject({ kind: "cancel_refused", detail: { requestedBy: user.id, reason: expect.stringMatching(/pivot has succeeded/) } });

    // Its answer completes the saga, re-sent or parked (a late reply counts).
    await answer(approve, "OrderApproved", { purchaseId: id, orderId: idsOf(id).orderId });
    expect(await reached(id, user, "COMPLETED")).toMatchObject({ failure_reason: null, payment_id: idsOf(id).paymentId });
    expect(commandTypesOf(id)).not.toContain("RefundPayment");
  });

  it("at the door: 409 ALREADY_PAID once the purchase knows the payment is taken, then PURCHASE_ENDED; 404 for another's or none; 401 without a caller", async () => {
    const user = customer();
    const { id } = await buy(user, { ApproveOrder: "hold" });
    const approve = await waitUntil("ApproveOrder to be sent", () => commandsOf(id).find((c) => c.type === "ApproveOrder"), SAGA_BUDGET_MS);
    await waitUntil("the purchase to hear the payment is taken", async () => (await view(id, user)).step === "approve-order", SAGA_BUDGET_MS);

    await expect(cancel(id, user)).rejects.toMatchObject({ code: 409, type: "ALREADY_PAID" });
    await expect(cancel(id, customer())).rejects.toMatchObject({ code: 404, type: "NOT_FOUND" });
    await expect(cancel(randomUUID(), user)).rejects.toMatchObject({ code: 404, type: "NOT_FOUND" });
    await expect(cancel("not-a-purchase", user)).rejects.toMatchObject({ code: 422 });
    await expect(broker.call("purchase.cancel", { id })).rejects.toMatchObject({ code: 401, type: "NO_TOKEN" });

    await answer(approve, "OrderApproved", { purchaseId: id, orderId: idsOf(id).orderId });
    await reached(id, user, "COMPLETED");
    await expect(cancel(id, user)).rejects.toMatchObject({ code: 409, type: "PURCHASE_ENDED" });
    expect((await view(id, user)).cancel_requested_at).toBeNull();
    expect(await cancelRequestsOf(id)).toBe(0);
  });

  it("a cancel that finds no saga (its start lost) ends it at once; the start that comes later changes nothing and sends nothing", async () => {
    const user = customer();
    const id = randomUUID();
    await purchaseDb("purchases").insert({
      id,
      customer_id: user.id,
      status: "PENDING",
      items: JSON.stringify(SEED_ITEMS.map(({ product_id, quantity }) => ({ product_id, quantity, unit_price: PRICES.get(product_id) }))),
      amount: SEED_AMOUNT,
      currency: "VND",
    });
    scripts.set(id, {});
    const request = await announce(publication(PurchaseCancelRequested, id, { ...asAnnounced(id, user.id), requestedBy: user.id }, topics.purchaseEvents));
    const failed = await reached(id, user, "FAILED");
    expect(failed.failure_reason).toBe(CANCELLED_BY_CUSTOMER);

    const start = await announce(publication(PurchaseCreated, id, asAnnounced(id, user.id), topics.purchaseEvents));
    const ignored = await waitUntil("the late start to be handled", async () => (await logOf(id)).find((e) => e.kind === "event_ignored"), SAGA_BUDGET_MS);
    expect(ignored.detail.reason).toMatch(/already started/);
    const log = await logOf(id);
    expect(log.map((e) => e.kind)).toEqual(["cancel_accepted", "saga_failed", "event_ignored"]);
    expect(log[0]).toMatchObject({ messageId: request, detail: { requestedBy: user.id, beforeStart: true } });
    expect(start).not.toBe(request);
    expect(commandsOf(id)).toEqual([]);
  });
});

function definedHeaders(headers: Record<string, unknown> | undefined): Record<string, string | Buffer> {
  return Object.fromEntries(Object.entries(headers ?? {}).filter(([, v]) => v != null)) as Record<string, string | Buffer>;
}
