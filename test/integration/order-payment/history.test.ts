/**
 * A signed-in customer's history: purchase.list, order.list and payment.list
 * (each the caller's own rows, newest first, paged and filtered alike), and
 * payment.wallet (the balance, and the movements its payments tell).
 *
 * The lists read rows staged in each service's table at chosen times, so
 * order and windows are exact; the wallet is moved by real ProcessPayment and
 * RefundPayment commands through Kafka, as the orchestrator sends them.
 */
import { randomUUID } from "node:crypto";
import knex, { type Knex } from "knex";
import type { ServiceBroker } from "moleculer";
import { PaymentCompleted, PaymentDeclined, PaymentRefunded, ProcessPayment, RefundPayment } from "../../../contracts/purchase-saga";
import { databaseUrl, type ServiceDatabase } from "../../../lib/environment";
import OrderService from "../../../services/order/order.service";
import PaymentService from "../../../services/payment/payment.service";
import { walletSettings } from "../../../services/payment/wallet-opening";
import { createPurchaseService } from "../../../services/purchase/purchase.service";
import { startBroker } from "../../support/broker";
import { OrchestratorStandIn } from "./orchestrator-stand-in";

// Step of the purchase saga, from 0: reserve, create order, pay, approve.
const PAY_STEP = 2;
const { initialCredit, currency } = walletSettings();

const databases = { purchase: db("purchase"), order: db("order"), payment: db("payment") };
let broker: ServiceBroker;
let orchestrator: OrchestratorStandIn;

function db(name: ServiceDatabase) {
  return knex({ client: "pg", connection: databaseUrl(name), pool: { min: 0, max: 2 } });
}

beforeAll(async () => {
  orchestrator = await OrchestratorStandIn.start();
  broker = await startBroker([OrderService, PaymentService, createPurchaseService()]);
});

afterAll(async () => {
  await broker?.stop();
  await orchestrator?.stop();
  await Promise.all(Object.values(databases).map((database) => database.destroy()));
});

const asCustomer = (id: string) => ({ meta: { user: { id, role: "customer" } } });

interface Row {
  status: string;
  at: Date;
}

/** A kind of row a customer has a history of: the service that lists it, two of its statuses, and what its rows hold besides. */
interface History {
  service: "purchase" | "order" | "payment";
  statuses: [string, string];
  /** Its columns beyond the ones every kind has. */
  columns(): Record<string, unknown>;
  /** Rows of its own that belong with it. */
  children?(trx: Knex.Transaction, id: string): Promise<unknown>;
}

const lines = [11, 7].map((product) => ({ product_id: product, quantity: 2, unit_price: 350 }));

const histories: History[] = [
  // Not PENDING: the purchase service's watchdog would re-publish a staged PENDING purchase.
  { service: "purchase", statuses: ["COMPLETED", "FAILED"], columns: () => ({ items: JSON.stringify(lines) }) },
  {
    service: "order",
    statuses: ["APPROVED", "CANCELLED"],
    columns: () => ({ purchase_id: randomUUID() }),
    children: (trx, id) => trx("order_items").insert(lines.map((line) => ({ order_id: id, ...line }))),
  },
  { service: "payment", statuses: ["COMPLETED", "REFUNDED"], columns: () => ({ purchase_id: randomUUID() }) },
];

/** Stages a row of the customer's history in its service's table; returns its id. */
async function stage(history: History, customerId: string, { status, at }: Row): Promise<string> {
  const id = randomUUID();
  await databases[history.service].transaction(async (trx) => {
    const row = { id, customer_id: customerId, status, amount: 1400, currency, created_at: at, updated_at: at, ...history.columns() };
    await trx(`${history.service}s`).insert(row);
    await history.children?.(trx, id);
  });
  return id;
}

describe.each(histories)("the customer's $service history", (history) => {
  const customer = randomUUID();
  const someoneElse = randomUUID();
  const [first, second] = history.statuses;
  const minute = (n: number) => new Date(Date.UTC(2026, 10, 1, 12, n));
  /** The customer's rows, newest first; the two made in the same instant go by id, descending. */
  let newestFirst: { id: string; status: string; at: Date }[];
  let others: string[];

  const list = (params: Record<string, unknown>, caller = customer) =>
    broker.call<{ items: { id: string; status: string }[]; page: number; page_size: number; total: number }, Record<string, unknown>>(
      `${history.service}.list`,
      params,
      asCustomer(caller),
    );
  const ids = async (params: Record<string, unknown>) => (await list(params)).items.map((item) => item.id);

  beforeAll(async () => {
    const rows = [first, second, first, second, first, first].map((status, n) => ({ status, at: minute(Math.min(n, 4)) }));
    const staged = await Promise.all(rows.map(async (row) => ({ id: await stage(history, customer, row), ...row })));
    newestFirst = staged.sort((a, b) => b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : -1));
    // Someone else's rows at the same times: never in the customer's list.
    others = await Promise.all(rows.map((row) => stage(history, someoneElse, row)));
  });

  afterAll(async () => {
    await databases[history.service](`${history.service}s`).whereIn("customer_id", [customer, someoneElse]).delete();
  });

  test("holds only the caller's rows, newest first, each as its GET answers it", async () => {
    const answer = await list({});
    expect(answer).toMatchObject({ page: 1, page_size: 20, total: newestFirst.length });
    expect(answer.items.map((item) => item.id)).toEqual(newestFirst.map((row) => row.id));
    const newest = answer.items[0];
    expect(await broker.call(`${history.service}.get`, { id: newest.id }, asCustomer(customer))).toEqual(newest);

    const theirs = await list({}, someoneElse);
    expect(theirs.items.map((item) => item.id).sort()).toEqual([...others].sort());
  });

  test("pages: page 2 goes on where page 1 stopped, a page past the end is empty, and total counts them all", async () => {
    const all = newestFirst.map((row) => row.id);
    expect(await ids({ page: "1", page_size: "4" })).toEqual(all.slice(0, 4));
    expect(await ids({ page: "2", page_size: "4" })).toEqual(all.slice(4));
    expect(await list({ page: "3", page_size: "4" })).toEqual({ items: [], page: 3, page_size: 4, total: all.length });
  });

  test("filters by status, and by a half-open window of creation times", async () => {
    const withStatus = newestFirst.filter((row) => row.status === second);
    expect(await list({ status: second })).toMatchObject({ total: withStatus.length });
    expect(await ids({ status: second })).toEqual(withStatus.map((row) => row.id));

    const window = { created_since: minute(1).toISOString(), created_before: minute(3).toISOString() };
    expect(await ids(window)).toEqual(newestFirst.filter((row) => row.at >= minute(1) && row.at < minute(3)).map((row) => row.id));
    expect(await ids({ ...window, status: first })).toEqual(newestFirst.filter((row) => row.at.getTime() === minute(2).getTime()).map((row) => row.id));
  });

  test.each([{ page: "0" }, { page_size: "101" }, { page: "1e1" }, { status: "SHIPPED" }, { created_since: "yesterday" }, { created_before: "2026-11-01" }])(
    "refuses %j with 422 VALIDATION_ERROR",
    async (params) => {
      await expect(list(params)).rejects.toMatchObject({ code: 422, type: "VALIDATION_ERROR" });
    },
  );

  test("without a caller is 401 NO_TOKEN", async () => {
    await expect(broker.call(`${history.service}.list`, {})).rejects.toMatchObject({ code: 401, type: "NO_TOKEN" });
  });
});

describe("the customer's wallet", () => {
  interface WalletAnswer {
    balance: number;
    currency: string;
    updated_at: string;
    movements: { kind: string; amount: number; at: string; purchase_id: string; payment_id: string }[];
  }
  const walletOf = (customerId: string) => broker.call<WalletAnswer, object>("payment.wallet", {}, asCustomer(customerId));
  const charge = (customerId: string, amount: number): ProcessPayment => ({ purchaseId: randomUUID(), customerId, amount, currency });

  async function pay(payment: ProcessPayment): Promise<string> {
    const reply = await orchestrator.replyTo<typeof PaymentCompleted>(await orchestrator.send(ProcessPayment, payment.purchaseId, payment, { step: PAY_STEP }));
    expect(reply.type).toBe(PaymentCompleted.name);
    return reply.payload.paymentId;
  }

  async function refund(purchaseId: string): Promise<void> {
    const sent = await orchestrator.send(RefundPayment, purchaseId, { purchaseId }, { step: PAY_STEP, direction: "compensate" });
    expect((await orchestrator.replyTo(sent)).type).toBe(PaymentRefunded.name);
  }

  test("after a payment it shows the debit, after its refund the credit, newest first; a decline and others' payments move nothing", async () => {
    const customer = randomUUID();
    const first = charge(customer, 1500);
    const firstId = await pay(first);
    const second = charge(customer, 700);
    const secondId = await pay(second);
    const declined = charge(customer, initialCredit);
    const reply = await orchestrator.replyTo(await orchestrator.send(ProcessPayment, declined.purchaseId, declined, { step: PAY_STEP }));
    expect(reply.type).toBe(PaymentDeclined.name);
    await pay(charge(randomUUID(), 900));

    const paid = await walletOf(customer);
    expect(paid).toMatchObject({ balance: initialCredit - 2200, currency });
    expect(paid.movements).toEqual([
      { kind: "PAYMENT", amount: -700, at: expect.any(String), purchase_id: second.purchaseId, payment_id: secondId },
      { kind: "PAYMENT", amount: -1500, at: expect.any(String), purchase_id: first.purchaseId, payment_id: firstId },
    ]);

    await refund(first.purchaseId);
    const refunded = await walletOf(customer);
    expect(refunded.balance).toBe(initialCredit - 700);
    expect(refunded.movements).toEqual([
      { kind: "REFUND", amount: 1500, at: expect.any(String), purchase_id: first.purchaseId, payment_id: firstId },
      ...paid.movements,
    ]);
    // The refund is when the payment last changed: in the transaction that credited the wallet.
    const payment = await databases.payment("payments").where({ id: firstId }).first();
    expect(refunded.movements[0].at).toBe(payment.updated_at.toISOString());
    expect(refunded.updated_at).toBe(refunded.movements[0].at);
  });

  test("a caller without a wallet gets 404 NOT_FOUND, and no caller 401 NO_TOKEN", async () => {
    await expect(walletOf(randomUUID())).rejects.toMatchObject({ code: 404, type: "NOT_FOUND" });
    await expect(broker.call("payment.wallet", {})).rejects.toMatchObject({ code: 401, type: "NO_TOKEN" });
  });
});
