/**
 * A sale under a fault: fresh customers buy from fresh products through the
 * gateway at a steady pace; once a given number of purchases are recorded
 * the fault is injected, then healed, while the sale goes on. Then every
 * purchase must end and the invariants must hold. Used by `npm run chaos`
 * and by the fault tests, so both measure the same thing.
 *
 * Each POST carries its own Idempotency-Key, so the client retries any
 * answer that is not a verdict on the request (no answer, a 5xx, a 404 from
 * a service not registered yet, a 429) for as long as the budget lasts, as
 * a real client would: a retry of a purchase recorded after all (a 504 from
 * a gateway timeout) answers that purchase and never buys twice. The sale's
 * purchases are still read back by customer from the purchase database, so a
 * purchase recorded twice would show.
 */
import { randomUUID } from "node:crypto";
import knex from "knex";
import { databaseUrl } from "../../lib/environment";
import { isFinal } from "../../lib/saga/state";
import { type Fault, waitForHealthySystem } from "./faults";
import { type TestCustomer, api, registerCustomer } from "./http";
import { checkPurchaseInvariants } from "./invariants";
import { catalogProduct } from "./purchases";
import { waitUntil } from "./wait";

export interface SaleSettings {
  purchases: number;
  products: number;
  customers: number;
  /** POSTs started per second. */
  perSecond: number;
  /** The fault goes in once this many purchases have been recorded. */
  faultAfter: number;
  /** How long the purchases get to end after the last POST and the healing. */
  settleTimeoutMs: number;
}

/** What CI affords on a loaded 2-core machine: about 20 s of posting. */
export const CI_SALE: SaleSettings = { purchases: 80, products: 10, customers: 8, perSecond: 4, faultAfter: 25, settleTimeoutMs: 300_000 };

/** The chaos benchmark's sale: 300 purchases over 10 products, the fault a third of the way in. */
export const CHAOS_SALE: SaleSettings = { purchases: 300, products: 10, customers: 10, perSecond: 5, faultAfter: 100, settleTimeoutMs: 600_000 };

export interface SaleReport {
  fault: string;
  /** Purchases the purchase service recorded for the sale's customers. */
  purchases: number;
  completed: number;
  failed: number;
  /** Neither COMPLETED nor FAILED at the end: parked for an operator, or still running when the settle time ran out. */
  unfinished: number;
  /** POSTs that ended without a 202: refused with a verdict on the request, or with none past the retry budget. */
  postErrors: number;
  /** Their answers, as "504×3, 500×1". */
  postErrorKinds: string;
  /** Seconds from injecting the fault to its healing. */
  healSeconds: number | null;
  /** Seconds from the healing to the last purchase's end (0 when all had ended before). */
  healedToAllEndedSeconds: number | null;
  /** The longest time in which no purchase ended, between the first end and the last: how long the fault stalled the shop. */
  longestPauseSeconds: number | null;
  violations: string[];
}

const PRICE = 1_000;
/** Answers that are a verdict on the request (a 4xx but 404 and 429): retrying them would only get the same. */
const isVerdict = (status: number) => status >= 400 && status < 500 && status !== 404 && status !== 429;
/** How long a POST that got no verdict is retried. */
const POST_BUDGET_MS = 180_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface FaultOutcome {
  healedAt?: number;
  healSeconds?: number;
  error?: string;
}

async function applyFault(fault: Fault): Promise<FaultOutcome> {
  const injectedAt = Date.now();
  try {
    await fault.inject();
  } catch (error) {
    return { error: `inject failed: ${(error as Error).message}` };
  }
  try {
    await fault.heal();
    const healedAt = Date.now();
    return { healedAt, healSeconds: (healedAt - injectedAt) / 1000 };
  } catch (error) {
    return { error: `heal failed: ${(error as Error).message}` };
  }
}

/**
 * One at a time, each retried: a registration hashes a password (argon2id at
 * production cost under `npm start`), the costliest request there is, and
 * setting up a sale should not crowd the machine it is about to measure. A
 * retry registers a new email.
 */
export async function registerCustomers(count: number): Promise<TestCustomer[]> {
  const customers: TestCustomer[] = [];
  while (customers.length < count) {
    customers.push(await waitUntil("a customer to be registered", () => registerCustomer(), 120_000, 1_000));
  }
  return customers;
}

/**
 * One purchase of one unit, its POST retried under one Idempotency-Key while
 * the answer is no verdict on it, for up to POST_BUDGET_MS: the purchase's id
 * once accepted, or the last answer ("no answer", or its status).
 */
export async function placePurchase(accessToken: string, productId: number): Promise<{ id: string } | { error: string }> {
  const body = { order_items: [{ product_id: productId, quantity: 1 }], payment: { currency_code: "VND" } };
  const headers = { "Idempotency-Key": randomUUID() };
  const giveUpAt = Date.now() + POST_BUDGET_MS;
  for (let pause = 250; ; pause = Math.min(2 * pause, 2_000)) {
    const { status, body: answer } = await api("POST", "/api/v1/purchases", { token: accessToken, body, headers }).catch(() => ({ status: 0, body: {} }));
    if (status === 202) return { id: String(answer.id) };
    if (isVerdict(status) || Date.now() > giveUpAt) return { error: status === 0 ? "no answer" : String(status) };
    await sleep(pause);
  }
}

export async function runSale(settings: SaleSettings, fault: Fault): Promise<SaleReport> {
  await waitForHealthySystem();
  const customers = await registerCustomers(settings.customers);
  // Twice what the sale can buy, so no purchase fails for want of stock (nor of money: 1,000 a unit against a 100,000,000 wallet).
  const stock = Math.ceil((2 * settings.purchases) / settings.products);
  const productIds = await Promise.all(Array.from({ length: settings.products }, () => catalogProduct(customers[0].accessToken, PRICE, stock)));

  const postErrors = new Map<string, number>();
  /** One purchase, posted at its slot in the schedule. */
  const place = async (i: number, startedAt: number) => {
    await sleep(startedAt + (i * 1000) / settings.perSecond - Date.now());
    const answer = await placePurchase(customers[i % customers.length].accessToken, productIds[i % productIds.length]);
    if ("error" in answer) postErrors.set(answer.error, (postErrors.get(answer.error) ?? 0) + 1);
  };

  const purchaseDb = knex({ client: "pg", connection: databaseUrl("purchase"), pool: { min: 0, max: 2 } });
  const customerIds = customers.map((c) => c.customerId);
  const salePurchases = () => purchaseDb("purchases").whereIn("customer_id", customerIds).select("id", "status", "step", "updated_at");
  let outcome: FaultOutcome;
  let rows: Awaited<ReturnType<typeof salePurchases>>;
  try {
    let postingDone = false;
    const startedAt = Date.now();
    const posting = Promise.all(Array.from({ length: settings.purchases }, (_, i) => place(i, startedAt))).finally(() => (postingDone = true));
    // Counted in the database, not by 202s: on a busy machine a purchase may be recorded after its POST timed out at the gateway.
    const recorded = async () => Number((await purchaseDb("purchases").whereIn("customer_id", customerIds).count({ n: "*" }))[0].n);
    const faultRun = waitUntil(
      `${settings.faultAfter} purchases recorded, or the posting over`,
      async () => ((await recorded()) >= settings.faultAfter ? "inject" : postingDone && "give up"),
      settings.purchases * (1000 / settings.perSecond) + POST_BUDGET_MS,
      250,
    ).then(async (next) => (next === "inject" ? applyFault(fault) : { error: `not injected: only ${await recorded()} purchases recorded` }));
    await posting;
    outcome = await faultRun.catch((error: Error) => ({ error: error.message }));

    // Terminal times come from updated_at, so polling once a second costs no precision.
    // A parked saga waits for an operator: no use waiting for it, it is reported below.
    rows = await waitUntil(
      "every purchase of the sale to end or park",
      async () => {
        const found = await salePurchases();
        return found.every((r) => isFinal(r.status) || r.status === "NEEDS_ATTENTION") && found;
      },
      settings.settleTimeoutMs,
      1_000,
    ).catch(() => salePurchases());
  } finally {
    await purchaseDb.destroy();
  }

  const violations: string[] = [];
  if (outcome.error) violations.push(`fault ${fault.name}: ${outcome.error}`);
  const ended = rows.filter((r) => isFinal(r.status));
  const stillRunning = rows.filter((r) => !isFinal(r.status) && r.status !== "NEEDS_ATTENTION");
  for (const r of stillRunning.slice(0, 10)) violations.push(`purchase ${r.id} did not end: ${r.status} at ${r.step ?? "no step"}`);
  if (stillRunning.length > 10) violations.push(`… and ${stillRunning.length - 10} more purchases that did not end`);

  let completed = rows.filter((r) => r.status === "COMPLETED").length;
  let failed = rows.filter((r) => r.status === "FAILED").length;
  if (stillRunning.length === 0 && rows.length > 0) {
    // Every saga has ended or parked, so the check does not wait; it reports the parked ones itself.
    const scope = { purchaseIds: rows.map((r) => r.id), initialStock: new Map(productIds.map((id) => [id, stock])), customerIds };
    const report = await checkPurchaseInvariants(scope, 30_000);
    ({ completed, failed } = report);
    violations.push(...report.violations, ...(await sagaLogViolations(ended.map((r) => r.id))));
  } else if (rows.length > 0) {
    violations.push("stock, wallet and saga log checks skipped: some purchases are still running");
  }

  const endTimes = ended.map((r) => new Date(r.updated_at).getTime()).sort((a, b) => a - b);
  const lastEnd = endTimes[endTimes.length - 1];
  const unfinished = rows.length - ended.length;
  return {
    fault: fault.name,
    purchases: rows.length,
    completed,
    failed,
    unfinished,
    postErrors: [...postErrors.values()].reduce((a, b) => a + b, 0),
    postErrorKinds: [...postErrors].map(([kind, n]) => `${kind}×${n}`).join(", "),
    healSeconds: outcome.healSeconds ?? null,
    healedToAllEndedSeconds: outcome.healedAt !== undefined && unfinished === 0 ? Math.max(0, (lastEnd - outcome.healedAt) / 1000) : null,
    longestPauseSeconds: endTimes.length > 1 ? Math.max(...endTimes.slice(1).map((t, i) => t - endTimes[i])) / 1000 : null,
    violations,
  };
}

/**
 * What the invariant check does not look at: each saga ended exactly once in
 * its log, and no command was recorded as sent twice (a replayed transition
 * after a crash, or two instances advancing one saga).
 */
async function sagaLogViolations(ids: string[]): Promise<string[]> {
  const db = knex({ client: "pg", connection: databaseUrl("orchestrator"), pool: { min: 0, max: 2 } });
  try {
    const [ends, repeated] = await Promise.all([
      db("saga_log")
        .whereIn("saga_id", ids)
        .whereIn("kind", ["saga_completed", "saga_failed"])
        .groupBy("saga_id")
        .select("saga_id", db.raw("count(*)::int as ends")),
      db("saga_log")
        .whereIn("saga_id", ids)
        .andWhere({ kind: "command_sent" })
        .groupBy("saga_id", "message_id")
        .havingRaw("count(*) > 1")
        .select("saga_id", "message_id"),
    ]);
    const endsOf = new Map(ends.map((e) => [e.saga_id, Number(e.ends)]));
    return [
      ...ids.filter((id) => endsOf.get(id) !== 1).map((id) => `saga ${id}: ${endsOf.get(id) ?? 0} ends in its log`),
      ...repeated.map((r) => `saga ${r.saga_id}: command ${r.message_id} recorded as sent twice`),
    ];
  } finally {
    await db.destroy();
  }
}

/** The share of a sale's purchases that COMPLETED. */
export const completedShare = (r: SaleReport) => (r.purchases === 0 ? 0 : r.completed / r.purchases);

const columns: [string, (r: SaleReport) => string][] = [
  ["fault", (r) => r.fault],
  ["purchases", (r) => String(r.purchases)],
  ["completed", (r) => `${r.completed} (${(100 * completedShare(r)).toFixed(1)}%)`],
  ["failed", (r) => String(r.failed)],
  ["unfinished", (r) => String(r.unfinished)],
  ["POST errors", (r) => (r.postErrors === 0 ? "0" : `${r.postErrors} (${r.postErrorKinds})`)],
  ["heal s", (r) => r.healSeconds?.toFixed(1) ?? "-"],
  ["healed→all ended s", (r) => r.healedToAllEndedSeconds?.toFixed(1) ?? "-"],
  ["longest pause s", (r) => r.longestPauseSeconds?.toFixed(1) ?? "-"],
  ["violations", (r) => String(r.violations.length)],
];

/** The reports as an aligned text table, one row per fault. */
export function saleTable(reports: SaleReport[]): string {
  const cells = [columns.map(([title]) => title), ...reports.map((r) => columns.map(([, cell]) => cell(r)))];
  const widths = columns.map((_, c) => Math.max(...cells.map((row) => row[c].length)));
  return cells.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ")).join("\n");
}
