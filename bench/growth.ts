/**
 * A year of data: fills the databases with ended purchases and everything
 * that goes with them, in the shapes the services write (the purchase; its
 * saga and the saga's log; its order and items; its payment; its
 * reservation and items; the inbox rows of its messages within the inbox's
 * retention), then measures the system against itself before the fill: the
 * sale rate, one purchase on an idle system, `GET` of a purchase, order,
 * payment and product, a customer's purchases, orders and payments (newest
 * first, by status and by time) and wallet, the dashboard's overview, the
 * saga list unfiltered and searched by state, customer and time, and the
 * plans of the deadline sweeper's, the pending watchdog's and one customer's
 * histories' queries (each customer has a twentieth of the fill). The fill is
 * removed at the end unless --keep; `--remove` only removes an earlier one.
 *   npm run bench:growth -- [sagas] [--keep | --remove]
 * Outbox rows are not filled: Debezium would publish them. The fill spreads
 * over the last 29 days, inside the sagas' 30-day retention, so every saga
 * stays for the measurement: a worst case for the saga tables.
 * Needs the system running with limits above the load:
 *   RATE_LIMIT=100000000 AUTH_RATE_LIMIT=100000 npm start
 */
import "./stack-env-first";
import knex, { type Knex } from "knex";
import { type ServiceDatabase, databaseUrl, storeCurrency } from "../lib/environment";
import { listCustomerOrders } from "../services/order/order-store";
import { listCustomerPayments, movedPayments } from "../services/payment/payment-store";
import { republishPendingPurchases } from "../services/purchase/pending-watchdog";
import { listCustomerPurchases } from "../services/purchase/purchase-store";
import { PURCHASE_EVENTS_TOPIC } from "../contracts/topics";
import {
  ApproveOrder,
  CancelOrder,
  CreateOrder,
  InventoryReleased,
  InventoryReserved,
  OrderApproved,
  OrderCancelled,
  OrderCreated,
  PaymentCompleted,
  PaymentDeclined,
  ProcessPayment,
  ReleaseInventory,
  ReserveInventory,
} from "../contracts/purchase-saga";
import type { MessageDeclaration } from "../lib/messages/message-declaration";
import { PURCHASE_SAGA_LATEST_VERSION, PURCHASE_SAGA_TYPE } from "../services/orchestrator/purchase-saga";
import type { SagaDirection } from "../lib/saga/messages";
import { SagaStore } from "../lib/saga/saga-store";
import { type TestCustomer, api, refreshTokens } from "../test/support/http";
import { catalogProduct } from "../test/support/purchases";
import { plansOf } from "../test/support/query-plans";
import { registerCustomers } from "../test/support/sale";
import { percentile, postPurchase, waitForEnd } from "./sale-support";

const DEFAULT_SAGAS = 1_000_000;
const CUSTOMERS = 20;
const PRODUCTS = 10;
const PRICE = 1_000;
/** Rows per INSERT … SELECT: a progress line each, no transaction holding a million rows. */
const CHUNK = 100_000;
/** WAL a replication slot may have behind it before the fill waits: a quarter of `max_slot_wal_keep_size`. */
const SLOT_LAG_BOUND = 2 ** 30;
const SAMPLES = 200;
const SALE = 500;
/** Enough for a p99 that is not simply the slowest of a handful: with 20, two runs on one empty system gave 212 and 286 ms. */
const IDLE_PURCHASES = 100;

/**
 * Filled ids are UUIDs in ranges of their own, one per kind of row, so the
 * fill is found again (and removed) by primary-key range scans. Random v4
 * ids never have these leading zeros and this fixed middle.
 */
const ID_KINDS = { purchase: "00000001", order: "00000002", payment: "00000003", message: "00000004" } as const;
const idSql = (kind: keyof typeof ID_KINDS, n: string) => `('${ID_KINDS[kind]}-0000-4000-8000-' || lpad(to_hex(${n}), 12, '0'))::uuid`;
/** The filled id of a kind numbered n. */
const filledId = (kind: keyof typeof ID_KINDS, n: number) => `${ID_KINDS[kind]}-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
/** The filled ids of a kind whose number lies in [from, to]. */
const idRange = (kind: keyof typeof ID_KINDS, from: number, to: number): [string, string] => [filledId(kind, from), filledId(kind, to)];

/** The inbox rows each purchase leaves, by consumer: what each service consumed for it. */
const INBOX_ROWS: Record<Exclude<ServiceDatabase, "account">, Record<string, number>> = {
  orchestrator: { orchestrator: 5 },
  product: { product: 1 },
  order: { order: 2 },
  payment: { payment: 1 },
  purchase: { purchase: 1 },
};
const INBOX_RETENTION_DAYS = 14;
const FILL_DAYS = 29;

const connect = (db: ServiceDatabase) => knex({ client: "pg", connection: databaseUrl(db), pool: { min: 0, max: 2 } });

/**
 * Columns shared by every table's fill, for row i of n: the purchase's time
 * (spread evenly over the last FILL_DAYS, oldest first), whether it failed
 * (one in twenty, a declined payment), its customer and its product.
 */
const rowOf = `
  cross join lateral (select now() - make_interval(secs => ${FILL_DAYS} * 86400.0 * (1 - i::float8 / :n)) as at,
                             i % 20 = 0 as failed,
                             (:customers::uuid[])[1 + i % cardinality(:customers::uuid[])] as customer_id,
                             (:products::bigint[])[1 + i % cardinality(:products::bigint[])] as product_id) r`;

/** The saga type and version the filled sagas are of, the store's currency: as the running system writes them. */
const SAGA_TYPE = `'${PURCHASE_SAGA_TYPE}'`;
const SAGA_VERSION = PURCHASE_SAGA_LATEST_VERSION;
const CURRENCY = `'${storeCurrency()}'`;

const jsonb = (value: object) => `'${JSON.stringify(value).replaceAll("'", "''")}'::jsonb`;
/** A log entry's detail as the engine records it: a command sent on its declared topic, a reply accepted. */
const commandSent = (command: MessageDeclaration, direction: SagaDirection) => jsonb({ type: command.name, topic: command.topic, attempt: 1, direction });
const replyAccepted = (reply: MessageDeclaration, direction: SagaDirection) => jsonb({ type: reply.name, attempt: 1, direction });

/** One statement per table, each run for i in [from, to]. */
const FILL: Record<Exclude<ServiceDatabase, "account">, string[]> = {
  purchase: [
    `insert into purchases (id, customer_id, status, step, failure_reason, items, amount, currency, order_id, payment_id, version, progress_version, created_at, updated_at)
     select ${idSql("purchase", "i")}, r.customer_id, case when r.failed then 'FAILED' else 'COMPLETED' end, null,
            case when r.failed then 'payment declined: insufficient funds' end,
            jsonb_build_array(jsonb_build_object('quantity', 1, 'product_id', r.product_id, 'unit_price', ${PRICE})), ${PRICE}, ${CURRENCY},
            ${idSql("order", "i")}, case when r.failed then null else ${idSql("payment", "i")} end, 6, 5, r.at, r.at + interval '300 ms'
       from generate_series(:from::int, :to::int) i ${rowOf}`,
  ],
  orchestrator: [
    `insert into saga_instance (id, saga_type, definition_version, state, current_step, data, version, attempt, failure_reason, created_at, updated_at)
     select ${idSql("purchase", "i")}, ${SAGA_TYPE}, ${SAGA_VERSION}, case when r.failed then 'FAILED' else 'COMPLETED' end, case when r.failed then 0 else 3 end,
            jsonb_build_object('items', jsonb_build_array(jsonb_build_object('quantity', 1, 'productId', r.product_id, 'unitPrice', ${PRICE})),
                               'amount', ${PRICE}, 'orderId', ${idSql("order", "i")}, 'currency', ${CURRENCY},
                               'paymentId', case when r.failed then null else ${idSql("payment", "i")} end,
                               'customerId', r.customer_id, 'purchaseId', ${idSql("purchase", "i")}) - case when r.failed then 'paymentId' else '' end,
            case when r.failed then 9 else 5 end, 1, case when r.failed then 'payment declined: insufficient funds' end, r.at, r.at + interval '300 ms'
       from generate_series(:from::int, :to::int) i ${rowOf}`,
    // A completed saga's ten log entries, a failed one's twelve (the payment declined, then the order and the reservation undone).
    `insert into saga_log (saga_id, at, kind, step, message_id, detail)
     select ${idSql("purchase", "i")}, r.at + e.n * interval '25 ms', e.kind, e.step, case when e.n > 0 then gen_random_uuid() end, e.detail
       from generate_series(:from::int, :to::int) i ${rowOf}
       cross join lateral (values
         (0, 'saga_started', 0, jsonb_build_object('definitionVersion', ${SAGA_VERSION}, 'data', jsonb_build_object('amount', ${PRICE}, 'currency', ${CURRENCY}, 'customerId', r.customer_id))),
         (1, 'command_sent', 0, ${commandSent(ReserveInventory, "forward")}),
         (2, 'command_sent', 1, ${commandSent(CreateOrder, "forward")}),
         (3, 'reply_accepted', 1, ${replyAccepted(OrderCreated, "forward")}),
         (4, 'reply_accepted', 0, ${replyAccepted(InventoryReserved, "forward")}),
         (5, 'command_sent', 2, ${commandSent(ProcessPayment, "forward")})
       ) e(n, kind, step, detail)
     union all
     select ${idSql("purchase", "i")}, r.at + e.n * interval '25 ms', e.kind, e.step, gen_random_uuid(), e.detail
       from generate_series(:from::int, :to::int) i ${rowOf}
       cross join lateral (select * from (values
         (false, 6, 'reply_accepted', 2, ${replyAccepted(PaymentCompleted, "forward")}),
         (false, 7, 'command_sent', 3, ${commandSent(ApproveOrder, "forward")}),
         (false, 8, 'reply_accepted', 3, ${replyAccepted(OrderApproved, "forward")}),
         (false, 9, 'saga_completed', 3, '{"reason": null}'::jsonb),
         (true, 6, 'reply_accepted', 2, ${replyAccepted(PaymentDeclined, "forward")}),
         (true, 7, 'command_sent', 1, ${commandSent(CancelOrder, "compensate")}),
         (true, 8, 'command_sent', 0, ${commandSent(ReleaseInventory, "compensate")}),
         (true, 9, 'reply_accepted', 1, ${replyAccepted(OrderCancelled, "compensate")}),
         (true, 10, 'reply_accepted', 0, ${replyAccepted(InventoryReleased, "compensate")}),
         (true, 11, 'saga_failed', 0, '{"reason": "payment declined: insufficient funds"}'::jsonb)
       ) v(failed, n, kind, step, detail) where v.failed = r.failed) e`,
  ],
  order: [
    `insert into orders (id, purchase_id, customer_id, status, amount, currency, created_at, updated_at)
     select ${idSql("order", "i")}, ${idSql("purchase", "i")}, r.customer_id, case when r.failed then 'CANCELLED' else 'APPROVED' end, ${PRICE}, ${CURRENCY},
            r.at + interval '50 ms', r.at + interval '250 ms'
       from generate_series(:from::int, :to::int) i ${rowOf}`,
    `insert into order_items (order_id, product_id, quantity, unit_price)
     select ${idSql("order", "i")}, r.product_id, 1, ${PRICE} from generate_series(:from::int, :to::int) i ${rowOf}`,
  ],
  payment: [
    `insert into payments (id, purchase_id, customer_id, amount, currency, status, reason, created_at, updated_at)
     select ${idSql("payment", "i")}, ${idSql("purchase", "i")}, r.customer_id, ${PRICE}, ${CURRENCY},
            case when r.failed then 'DECLINED' else 'COMPLETED' end, case when r.failed then 'insufficient funds' end,
            r.at + interval '150 ms', r.at + interval '150 ms'
       from generate_series(:from::int, :to::int) i ${rowOf}`,
  ],
  product: [
    `insert into reservations (purchase_id, status, reason, created_at, updated_at)
     select ${idSql("purchase", "i")}, case when r.failed then 'RELEASED' else 'RESERVED' end, null, r.at + interval '50 ms', r.at + interval '250 ms'
       from generate_series(:from::int, :to::int) i ${rowOf}`,
    `insert into reservation_items (purchase_id, product_id, quantity)
     select ${idSql("purchase", "i")}, r.product_id, 1 from generate_series(:from::int, :to::int) i ${rowOf}`,
  ],
};

/** The inbox rows of the purchases within the inbox's retention, each message id of its own range. */
function inboxFill(db: Exclude<ServiceDatabase, "account">): string[] {
  return Object.entries(INBOX_ROWS[db]).map(
    ([consumer, perPurchase]) =>
      `insert into inbox (consumer, message_id, received_at)
       select '${consumer}', ${idSql("message", "i * 16 + m")}, r.at + m * interval '40 ms'
         from generate_series(:from::int, :to::int) i ${rowOf}
         cross join generate_series(1, ${perPurchase}) m
        where r.at > now() - interval '${INBOX_RETENTION_DAYS} days'`,
  );
}

/** Deletes of the fill, children first. */
const REMOVE: Record<Exclude<ServiceDatabase, "account">, [string, string, keyof typeof ID_KINDS][]> = {
  purchase: [["purchases", "id", "purchase"]],
  orchestrator: [
    ["saga_log", "saga_id", "purchase"],
    ["saga_instance", "id", "purchase"],
  ],
  order: [
    ["order_items", "order_id", "order"],
    ["orders", "id", "order"],
  ],
  payment: [["payments", "id", "payment"]],
  product: [
    ["reservation_items", "purchase_id", "purchase"],
    ["reservations", "purchase_id", "purchase"],
  ],
};
const FILLED_DATABASES = Object.keys(FILL) as Exclude<ServiceDatabase, "account">[];

/**
 * Waits while a replication slot has more WAL behind it than SLOT_LAG_BOUND.
 * Debezium decodes every database's WAL for each slot (one cluster here): a
 * fill that outruns it past `max_slot_wal_keep_size` (4 GB) has Postgres
 * invalidate every slot, and no outbox streams again until an operator
 * resets the connectors. The first 1,000,000-saga fill did that.
 */
async function waitForSlots(db: Knex): Promise<void> {
  for (let said = false; ; said = true) {
    const { rows } = await db.raw<{ rows: { lag: string | null }[] }>(
      "select max(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn))::bigint as lag from pg_replication_slots",
    );
    const lag = Number(rows[0].lag ?? 0);
    if (lag < SLOT_LAG_BOUND) return;
    if (!said) console.log(`[growth] waiting for Debezium: a slot is ${(lag / 2 ** 30).toFixed(1)} GiB behind`);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
  }
}

async function fill(sagas: number, customers: TestCustomer[], productIds: number[]): Promise<void> {
  for (const name of FILLED_DATABASES) {
    const db = connect(name);
    try {
      const started = Date.now();
      for (const statement of [...FILL[name], ...inboxFill(name)]) {
        for (let from = 1; from <= sagas; from += CHUNK) {
          await waitForSlots(db);
          await db.raw(statement, {
            n: sagas,
            from,
            to: Math.min(sagas, from + CHUNK - 1),
            customers: customers.map((c) => c.customerId),
            products: productIds,
          });
        }
      }
      await db.raw("analyze");
      console.log(`[growth] ${name}: filled in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    } finally {
      await db.destroy();
    }
  }
}

async function removeFill(): Promise<void> {
  for (const name of FILLED_DATABASES) {
    const db = connect(name);
    try {
      // Inbox message ids are numbered 16 per purchase (inboxFill).
      const tables: [string, string, keyof typeof ID_KINDS, number][] = [
        ...REMOVE[name].map(([table, column, kind]): [string, string, keyof typeof ID_KINDS, number] => [table, column, kind, 1]),
        ["inbox", "message_id", "message", 16],
      ];
      for (const [table, column, kind, perPurchase] of tables) {
        let removed = 0;
        // Postgres has no max() of uuid: the text form orders the same within one kind's range.
        const { rows } = await db.raw<{ rows: { last: string | null }[] }>(
          `select max(${column}::text) as last from ${table} where ${column} between ? and ?`,
          idRange(kind, 0, 2 ** 48 - 1),
        );
        const last = rows[0].last;
        const lastPurchase = last ? Math.floor(parseInt(String(last).slice(-12), 16) / perPurchase) : 0;
        // A chunk at a time, as the fill went in, so the deletes' WAL never runs away from Debezium either.
        for (let from = 1; from <= lastPurchase; from += CHUNK) {
          await waitForSlots(db);
          removed += await db(table)
            .whereBetween(column, idRange(kind, from * perPurchase, (from + CHUNK) * perPurchase - 1))
            .delete();
        }
        if (removed > 0) console.log(`[growth] ${name}: removed ${removed} rows of ${table}`);
      }
      await db.raw("vacuum analyze");
    } finally {
      await db.destroy();
    }
  }
}

interface Timing {
  what: string;
  p50: number;
  p99: number;
}

/** `count` requests one after another (`pauseMs` apart), each checked: latency percentiles. */
async function timed(what: string, count: number, request: (i: number) => Promise<{ status: number }>, pauseMs = 0): Promise<Timing> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0 && pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    const started = performance.now();
    const { status } = await request(i);
    latencies.push(performance.now() - started);
    if (status !== 200) throw new Error(`${what}: answered ${status}`);
  }
  latencies.sort((a, b) => a - b);
  return { what, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

interface Figures {
  saleRate: number;
  idle: { p50: number; p99: number };
  reads: Timing[];
}

/** An operator: a registered account made admin in its database (as `grant-role` does), then logged in. */
async function operatorOf(customer: TestCustomer): Promise<string> {
  const account = connect("account");
  try {
    await account("customers").where({ id: customer.customerId }).update({ role: "admin" });
  } finally {
    await account.destroy();
  }
  const login = await api("POST", "/api/v1/account/auth/login", { body: { email: customer.email, password: customer.password } });
  return String(login.body.access_token);
}

interface OwnedIds {
  purchase: string;
  order: string;
  payment: string;
  customer: TestCustomer;
}

/** The sale, then idle purchases, then the reads (of the ids `toRead` answers once the sale is over). */
async function measure(customers: TestCustomer[], operatorToken: string, productIds: number[], toRead: () => Promise<OwnedIds[]>): Promise<Figures> {
  // The sale: SALE purchases at once over the products.
  const saleStarted = Date.now();
  const answers = await Promise.all(
    Array.from({ length: SALE }, (_, i) => postPurchase(customers[i % customers.length].accessToken, productIds[i % productIds.length])),
  );
  const ids = answers.flatMap((a) => ("id" in a ? [a.id] : []));
  if (ids.length !== SALE) throw new Error(`only ${ids.length} of ${SALE} purchases accepted`);
  const ended = await waitForEnd(ids);
  const saleRate = SALE / ((Math.max(...ended.map((e) => e.endedAt)) - saleStarted) / 1000);

  // One purchase at a time on a quiet system.
  const idle: number[] = [];
  for (let i = 0; i < IDLE_PURCHASES; i++) {
    const posted = Date.now();
    const answer = await postPurchase(customers[0].accessToken, productIds[0]);
    if (!("id" in answer)) throw new Error(`idle purchase refused: ${answer.status}`);
    const [end] = await waitForEnd([answer.id]);
    idle.push(end.endedAt - posted);
  }
  idle.sort((a, b) => a - b);

  const readIds = await toRead();
  const pick = (i: number) => readIds[(i * 7919) % readIds.length];
  const asOwner = (i: number, path: (f: OwnedIds) => string) => api("GET", path(pick(i)), { token: pick(i).customer.accessToken });
  const asOperator = (path: string) => api("GET", path, { token: operatorToken });
  const asCustomer = (i: number, path: string) => api("GET", path, { token: customers[i % customers.length].accessToken });
  const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString();
  const anHourTenDaysAgo = `created_since=${day(10)}&created_before=${day(10 - 1 / 24)}`;
  const reads = [
    await timed("GET /purchases/:id", SAMPLES, (i) => asOwner(i, (f) => `/api/v1/purchases/${f.purchase}`)),
    await timed("GET /orders/:id", SAMPLES, (i) => asOwner(i, (f) => `/api/v1/orders/${f.order}`)),
    await timed("GET /payments/:id", SAMPLES, (i) => asOwner(i, (f) => `/api/v1/payments/${f.payment}`)),
    await timed("GET /products/:id", SAMPLES, (i) => api("GET", `/api/v1/products/${productIds[i % productIds.length]}`)),
    await timed("GET /purchases, newest 20", SAMPLES, (i) => asCustomer(i, "/api/v1/purchases")),
    // The fill's failed purchases are all customer 0's: the others have none, which only the status index finds at once.
    await timed("GET /purchases?status=FAILED", SAMPLES, (i) => asCustomer(i, "/api/v1/purchases?status=FAILED")),
    await timed("GET /orders, newest 20 with items", SAMPLES, (i) => asCustomer(i, "/api/v1/orders")),
    await timed("GET /orders, an hour 10 days ago", SAMPLES, (i) => asCustomer(i, `/api/v1/orders?${anHourTenDaysAgo}`)),
    await timed("GET /payments, newest 20", SAMPLES, (i) => asCustomer(i, "/api/v1/payments")),
    await timed("GET /payments?status=DECLINED", SAMPLES, (i) => asCustomer(i, "/api/v1/payments?status=DECLINED")),
    await timed("GET /account/wallet", SAMPLES, (i) => asCustomer(i, "/api/v1/account/wallet")),
    // The ops service serves one overview to every dashboard for 2 s: each of these is read afresh.
    await timed("dashboard overview", 20, () => asOperator("/ops/api/overview"), 2_100),
    await timed("saga list, unfiltered", 50, () => asOperator("/ops/api/sagas")),
    await timed("saga list, FAILED", 50, () => asOperator("/ops/api/sagas?status=FAILED")),
    await timed("saga list, NEEDS_ATTENTION", 50, () => asOperator("/ops/api/sagas?status=NEEDS_ATTENTION")),
    await timed("saga list, by customer", 50, (i) => asOperator(`/ops/api/sagas?customerId=${customers[i % customers.length].customerId}`)),
    await timed("saga list, an hour 10 days ago", 50, () => asOperator(`/ops/api/sagas?changedSince=${day(10)}&changedBefore=${day(10 - 1 / 24)}`)),
  ];
  return { saleRate, idle: { p50: percentile(idle, 50), p99: percentile(idle, 99) }, reads };
}

/**
 * The plans of the sweeper's, the watchdog's and one customer's histories'
 * statements, captured as the code sends them and explained with their
 * parameters, in transactions rolled back.
 */
async function plans(customerId: string): Promise<string[]> {
  const out: string[] = [];
  const explain = async (label: string, db: Knex, work: (trx: Knex.Transaction) => Promise<unknown>) => {
    for (const { statement, plan } of await plansOf(db, work, { explain: "explain (analyze, buffers off, costs off)" })) {
      out.push(`${label}: ${statement.replace(/\s+/g, " ").slice(0, 160)}\n${plan.replace(/^/gm, "    ")}`);
    }
  };
  const orchestrator = connect("orchestrator");
  const purchase = connect("purchase");
  const order = connect("order");
  const payment = connect("payment");
  const newest = { page: 1, page_size: 20 };
  const anHourTenDaysAgo = {
    ...newest,
    created_since: new Date(Date.now() - 10 * 86_400_000),
    created_before: new Date(Date.now() - 10 * 86_400_000 + 3_600_000),
  };
  try {
    const store = new SagaStore(orchestrator);
    await explain("sweeper, idle look", orchestrator, (trx) => new SagaStore(trx).anyOverdue(new Date(), "purchase"));
    await explain("sweeper, due sagas", orchestrator, (trx) => store.findOverdue(trx, { now: new Date(), sagaType: "purchase", limit: 100 }));
    await explain("pending watchdog", purchase, (trx) => republishPendingPurchases(trx, { topic: PURCHASE_EVENTS_TOPIC, olderThanMs: 120_000 }));
    await explain("purchases, newest 20", purchase, (trx) => listCustomerPurchases(trx, customerId, newest));
    await explain("purchases, FAILED", purchase, (trx) => listCustomerPurchases(trx, customerId, { ...newest, status: "FAILED" }));
    await explain("purchases, an hour 10 days ago", purchase, (trx) => listCustomerPurchases(trx, customerId, anHourTenDaysAgo));
    await explain("orders, newest 20", order, (trx) => listCustomerOrders(trx, customerId, newest));
    await explain("orders, CANCELLED, an hour 10 days ago", order, (trx) => listCustomerOrders(trx, customerId, { ...anHourTenDaysAgo, status: "CANCELLED" }));
    await explain("payments, newest 20", payment, (trx) => listCustomerPayments(trx, customerId, newest));
    await explain("payments, DECLINED", payment, (trx) => listCustomerPayments(trx, customerId, { ...newest, status: "DECLINED" }));
    await explain("wallet movements", payment, (trx) => movedPayments(trx, customerId, 20));
  } finally {
    await Promise.all([orchestrator, purchase, order, payment].map((db) => db.destroy()));
  }
  return out;
}

function comparison(before: Figures, after: Figures): string {
  const rows = [
    ["sale, sagas/s", before.saleRate.toFixed(1), after.saleRate.toFixed(1)],
    ["idle purchase p50 / p99 ms", `${before.idle.p50} / ${before.idle.p99}`, `${after.idle.p50} / ${after.idle.p99}`],
    ...before.reads.map((b, i) => [
      `${b.what} p50 / p99 ms`,
      `${b.p50.toFixed(1)} / ${b.p99.toFixed(1)}`,
      `${after.reads[i].p50.toFixed(1)} / ${after.reads[i].p99.toFixed(1)}`,
    ]),
  ];
  const widths = [0, 1, 2].map((c) => Math.max(...[["", "before", "after"], ...rows].map((r) => r[c].length)));
  return [["", "before", "after"], ...rows].map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ")).join("\n");
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes("--remove")) return removeFill();
  const sagas = Number(args.find((a) => !a.startsWith("--")) ?? DEFAULT_SAGAS);
  if (!Number.isSafeInteger(sagas) || sagas < CUSTOMERS) throw new Error("usage: npm run bench:growth -- [sagas ≥ 20] [--keep | --remove]");
  await removeFill();

  const customers = await registerCustomers(CUSTOMERS);
  let operatorToken = await operatorOf(customers[0]);
  const productIds = await Promise.all(Array.from({ length: PRODUCTS }, () => catalogProduct(customers[0].accessToken, PRICE, 10 * SALE)));
  // The reads ask for filled rows across the whole range, each as its owner (row i belongs to customer i % CUSTOMERS).
  const filledIds = Array.from({ length: SAMPLES }, (_, k) => {
    const i = 1 + Math.floor(((k + 0.5) * sagas) / SAMPLES);
    return {
      purchase: filledId("purchase", i),
      order: filledId("order", i),
      payment: filledId("payment", i),
      customer: customers[i % CUSTOMERS],
    };
  }).filter((_, k) => (1 + Math.floor(((k + 0.5) * sagas) / SAMPLES)) % 20 !== 0); // failed ones have no payment

  // Before the fill its ids do not exist: the before figures read the purchases of the bench's own sale.
  console.log(`[growth] measuring before the fill`);
  const before = await measure(customers, operatorToken, productIds, () => ownPurchases(customers));
  console.log(`[growth] filling ${sagas} ended purchases over the last ${FILL_DAYS} days`);
  await fill(sagas, customers, productIds);
  console.log(`[growth] measuring after the fill`);
  // The fill can outlast the access tokens (15 min).
  for (const customer of customers) await refreshTokens(customer);
  operatorToken = await operatorOf(customers[0]);
  const after = await measure(customers, operatorToken, productIds, async () => filledIds);
  console.log(`\n${comparison(before, after)}\n`);
  // Customer 1: a twentieth of the fill, none of it failed (the failed purchases are all customer 0's).
  for (const plan of await plans(customers[1].customerId)) console.log(plan);
  if (!args.includes("--keep")) await removeFill();
}

/** The purchases the bench's customers made in its first sale, as ids to read back. */
async function ownPurchases(customers: TestCustomer[]): Promise<OwnedIds[]> {
  const purchase = connect("purchase");
  try {
    const rows = await purchase("purchases")
      .whereIn(
        "customer_id",
        customers.map((c) => c.customerId),
      )
      .whereNotNull("payment_id")
      .select("id", "order_id", "payment_id", "customer_id");
    return rows.map((r) => ({ purchase: r.id, order: r.order_id, payment: r.payment_id, customer: customers.find((c) => c.customerId === r.customer_id)! }));
  } finally {
    await purchase.destroy();
  }
}

main().then(
  () => process.exit(),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
