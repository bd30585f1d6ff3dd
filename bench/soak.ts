/**
 * Endurance: an open-loop load held for a number of minutes while the chaos
 * suite's faults go in one at a time, every few minutes, each healed as the
 * chaos suite heals it (a killed service by its supervisor, a killed part by
 * `stack up`, a deploy by the supervisor after each SIGTERM). Prints one row
 * per minute (offered and achieved rate, POST → terminal latency, the fault
 * in progress, resident memory of every Node service and JVM, each database's
 * size, Kafka's log size, outbox and inbox rows, dead letters), then waits for
 * every purchase to end and checks the invariants over all of them.
 *   npm run soak -- [purchases per second] [minutes] [--fault-every=M] [--faults=a,b,…]
 * Needs the system running with limits above the load, its parts not
 * restarted behind the faults' backs:
 *   STACK_PART_RESTART=off RATE_LIMIT=100000000 AUTH_RATE_LIMIT=100000 npm start
 */
// Before the faults (which load moleculer.config): the stack's logins must be in the environment first.
import "./stack-env-first";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import knex, { type Knex } from "knex";
import { SERVICE_DATABASES, databaseUrl } from "../lib/environment";
import { kafkaDir } from "../stack/layout";
import { type Fault, faultNamed, waitForHealthySystem } from "../test/support/faults";
import { checkPurchaseInvariants } from "../test/support/invariants";
import { RefreshFailed, type TestCustomer, refreshTokens, signIn } from "../test/support/http";
import { catalogProduct } from "../test/support/purchases";
import { placePurchase, registerCustomers } from "../test/support/sale";
import { rssSnapshot } from "./process-memory";
import { percentile } from "./sale-support";
import { messageCounts } from "./work-counts";

/**
 * Half the rate the 2-core lab machine sustains: `npm run bench:load` from
 * 2 to 30 purchases/s achieved about 14 at most (the README's benchmarks).
 */
const DEFAULT_RATE = 7;
const DEFAULT_MINUTES = 60;
const DEFAULT_FAULT_EVERY_MINUTES = 5;
/**
 * The faults a soak cycles through: the chaos suite's crashes, restarts and
 * freezes that heal within its interval, a deploy among them. Its long
 * outages (minutes by design) are left to `npm run chaos`.
 */
const SOAK_FAULTS = [
  "kill-order",
  "kill-kafka",
  "freeze-orchestrator",
  "kill-payment",
  "restart-postgres",
  "rolling-restart",
  "kill-redis-primary",
  "kill-orchestrator",
  "kill-connect",
  "freeze-payment",
  "kill-product",
  "rebalance-payment",
  "kill-purchase",
  "kill-account",
];
const CUSTOMERS = 20;
const PRODUCTS = 20;
const PRICE = 1_000;
/** How long the purchases get to end after the last POST. */
const SETTLE_MS = 600_000;
const POLL_MS = 2_000;
const MINUTE_MS = 60_000;
/** Below the access tokens' 15 min. */
const TOKEN_REFRESH_MS = 10 * MINUTE_MS;
/** A refresh nobody answered (the gateway restarting) or the server could not (a 5xx) is tried again this often, for up to REFRESH_RETRY_FOR_MS: well inside the tokens' last 5 minutes. */
const REFRESH_RETRY_MS = 2_000;
const REFRESH_RETRY_FOR_MS = 2 * MINUTE_MS;

/**
 * As a client does: a refresh that got no answer (the gateway restarting) or
 * a 5xx (Postgres restarting) is tried again with the same refresh token; one
 * refused (the token spent by a try whose answer was lost) signs in again.
 * Each soak that missed one of these lost most of its customers to 401s five
 * minutes later: a 500 met during `restart-postgres`, then no answer during
 * `rolling-restart`.
 */
async function refreshAsAClientWould(customer: TestCustomer): Promise<void> {
  for (const giveUpAt = Date.now() + REFRESH_RETRY_FOR_MS; ;) {
    try {
      return await refreshTokens(customer);
    } catch (error) {
      const refused = error instanceof RefreshFailed && error.status < 500;
      if (refused) return await signIn(customer);
      if (Date.now() > giveUpAt) throw error;
      await new Promise((resolve) => setTimeout(resolve, REFRESH_RETRY_MS));
    }
  }
}

interface Options {
  rate: number;
  minutes: number;
  faultEveryMinutes: number;
  faults: Fault[];
}

function parseArgs(argv: string[]): Options {
  const positional = argv.filter((arg) => !arg.startsWith("--"));
  const flag = (name: string) => argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
  for (const arg of argv.filter((a) => a.startsWith("--"))) {
    if (!/^--(fault-every|faults)=/.test(arg)) throw new Error(`unknown option ${arg}: use --fault-every=M, --faults=a,b`);
  }
  const options = {
    rate: Number(positional[0] ?? DEFAULT_RATE),
    minutes: Number(positional[1] ?? DEFAULT_MINUTES),
    faultEveryMinutes: Number(flag("fault-every") ?? DEFAULT_FAULT_EVERY_MINUTES),
    faults: (flag("faults")?.split(",").filter(Boolean) ?? SOAK_FAULTS).map(faultNamed),
  };
  if (!(options.rate > 0) || !(options.minutes > 0) || !(options.faultEveryMinutes > 0)) {
    throw new Error("usage: npm run soak -- [purchases per second > 0] [minutes > 0] [--fault-every=M > 0] [--faults=a,b]");
  }
  return options;
}

/** One minute of the run, as it is printed. */
interface MinuteRow {
  minute: number;
  offered: number;
  ended: number;
  failed: number;
  latencies: number[];
  /** Faults in progress at some time in the minute. */
  faults: Set<string>;
}

/** Resources sampled at a minute's end. */
interface Resources {
  rssMiB: Map<string, number>;
  databaseMiB: Map<string, number>;
  kafkaLogMiB: number;
  outboxRows: number;
  inboxRows: number;
  deadLetters: number;
}

const mib = (bytes: number) => bytes / (1024 * 1024);

/** Disk used under a folder, as du counts it: Kafka's index files are sparse, their size is not what they take. */
function directoryBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const entryPath = path.join(dir, entry.name);
    try {
      total += entry.isDirectory() ? directoryBytes(entryPath) : 512 * statSync(entryPath).blocks;
    } catch {
      // a segment deleted by retention meanwhile
    }
  }
  return total;
}

async function sampleResources(databases: Map<string, Knex>): Promise<Resources> {
  const databaseMiB = new Map<string, number>();
  let outboxRows = 0;
  let inboxRows = 0;
  for (const [name, db] of databases) {
    const { rows } = await db.raw(
      `select pg_database_size(current_database())::bigint as size,
              (select count(*) from outbox)::bigint as outbox,
              (select count(*) from inbox)::bigint as inbox`,
    );
    databaseMiB.set(name, mib(Number(rows[0].size)));
    outboxRows += Number(rows[0].outbox);
    inboxRows += Number(rows[0].inbox);
  }
  const messages = await messageCounts();
  const deadLetters = [...messages].filter(([topic]) => topic.endsWith(".dead-letter")).reduce((sum, [, n]) => sum + n, 0);
  const rssMiB = new Map([...rssSnapshot()].map(([part, bytes]) => [part, mib(bytes)]));
  return { rssMiB, databaseMiB, kafkaLogMiB: mib(directoryBytes(path.join(kafkaDir, "data"))), outboxRows, inboxRows, deadLetters };
}

/** Memory columns: every Node service, then the JVMs and Redis, in a fixed order so rows line up. */
const memoryParts = (rss: Map<string, number>) =>
  [...rss.keys()].sort((a, b) => Number(b.startsWith("node")) - Number(a.startsWith("node")) || a.localeCompare(b));

function header(parts: string[], databases: string[]): string {
  return [
    "min",
    "offered/s",
    "ended/s",
    "failed",
    "p50 ms",
    "p99 ms",
    ...parts.map((p) => `${p.replace(/^node /, "")} MiB`),
    ...databases.map((d) => `db ${d} MiB`),
    "kafka MiB",
    "outbox",
    "inbox",
    "dead",
    "fault",
  ].join("\t");
}

/** A minute's row; without its resources (sampled while a fault had Postgres or Kafka away) their columns say "-". */
function row(r: MinuteRow, resources: Resources | undefined, parts: string[], databaseCount: number): string {
  const sorted = [...r.latencies].sort((a, b) => a - b);
  const sampledColumns = resources
    ? [
        ...parts.map((p) => resources.rssMiB.get(p)?.toFixed(0) ?? "-"),
        ...[...resources.databaseMiB.values()].map((size) => size.toFixed(1)),
        resources.kafkaLogMiB.toFixed(1),
        String(resources.outboxRows),
        String(resources.inboxRows),
        String(resources.deadLetters),
      ]
    : Array<string>(parts.length + databaseCount + 4).fill("-");
  return [
    String(r.minute),
    (r.offered / 60).toFixed(1),
    (r.ended / 60).toFixed(1),
    String(r.failed),
    sorted.length > 0 ? String(percentile(sorted, 50)) : "-",
    sorted.length > 0 ? String(percentile(sorted, 99)) : "-",
    ...sampledColumns,
    [...r.faults].join(",") || "-",
  ].join("\t");
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const total = Math.round(options.rate * options.minutes * 60);
  console.log(
    `soak: ${options.rate} purchases/s for ${options.minutes} min (${total} purchases over ${PRODUCTS} products), ` +
      `a fault every ${options.faultEveryMinutes} min from: ${options.faults.map((f) => f.name).join(", ")}`,
  );
  await waitForHealthySystem();
  const customers = await registerCustomers(CUSTOMERS);
  // Twice what the run can buy, so no purchase fails for want of stock (nor of money: 1,000 a unit against a 100,000,000 wallet).
  const stock = Math.ceil((2 * total) / PRODUCTS);
  const productIds = await Promise.all(Array.from({ length: PRODUCTS }, () => catalogProduct(customers[0].accessToken, PRICE, stock)));
  const databases = new Map(SERVICE_DATABASES.map((name) => [name, knex({ client: "pg", connection: databaseUrl(name), pool: { min: 0, max: 1 } })]));
  const purchaseDb = databases.get("purchase")!;

  const atStart = await sampleResources(databases);
  const started = Date.now();
  const minuteOf = (at: number) => Math.floor((at - started) / MINUTE_MS) + 1;
  const rows = new Map<number, MinuteRow>();
  const rowOf = (minute: number) => {
    let found = rows.get(minute);
    if (!found) rows.set(minute, (found = { minute, offered: 0, ended: 0, failed: 0, latencies: [], faults: new Set() }));
    return found;
  };
  /** Accepted purchases not seen ended yet: id → when its first POST went. */
  const pending = new Map<string, number>();
  const accepted: string[] = [];
  /** The purchases accepted and not yet seen ended, as a query. */
  const stillPending = () => purchaseDb("purchases").whereRaw("id = any(?)", [[...pending.keys()]]);
  const refused = new Map<string, number>();
  const violations: string[] = [];
  let activeFault: string | undefined;

  // The load: each arrival at its own time on the schedule, whatever the answers do.
  const posts: Promise<void>[] = [];
  const load = (async () => {
    for (let i = 0; i < total; i++) {
      const wait = started + (1000 * i) / options.rate - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const postedAt = Date.now();
      rowOf(minuteOf(postedAt)).offered++;
      posts.push(
        placePurchase(customers[i % CUSTOMERS].accessToken, productIds[i % PRODUCTS]).then((answer) => {
          if ("id" in answer) {
            accepted.push(answer.id);
            pending.set(answer.id, postedAt);
          } else refused.set(answer.error, (refused.get(answer.error) ?? 0) + 1);
        }),
      );
    }
    await Promise.all(posts);
  })();

  // As a client would: new tokens well before the access tokens expire (the first soak saw 401s from minute 15).
  const refreshing = setInterval(() => {
    void (async () => {
      for (const customer of customers) await refreshAsAClientWould(customer).catch((error: Error) => console.log(`# ${error.message}`));
    })();
  }, TOKEN_REFRESH_MS);

  // The faults: one every interval, the next only once the last has healed.
  let faultIndex = 0;
  let faultRun: Promise<void> = Promise.resolve();
  const faultTimer = setInterval(() => {
    if (activeFault !== undefined || Date.now() - started > options.minutes * MINUTE_MS - MINUTE_MS) return;
    const fault = options.faults[faultIndex++ % options.faults.length];
    activeFault = fault.name;
    rowOf(minuteOf(Date.now())).faults.add(fault.name);
    const injectedAt = Date.now();
    faultRun = (async () => {
      try {
        await fault.inject();
        await fault.heal();
        console.log(`# ${fault.name}: injected in minute ${minuteOf(injectedAt)}, healed after ${((Date.now() - injectedAt) / 1000).toFixed(1)} s`);
      } catch (error) {
        violations.push(`fault ${fault.name}: ${(error as Error).message}`);
      } finally {
        activeFault = undefined;
      }
    })();
  }, options.faultEveryMinutes * MINUTE_MS);

  // Ends: polled from the purchase database; terminal times come from updated_at.
  const pollEnds = async () => {
    if (pending.size === 0) return;
    const ended = await stillPending().whereIn("status", ["COMPLETED", "FAILED"]).select("id", "status", "updated_at");
    for (const r of ended) {
      const endedAt = new Date(r.updated_at).getTime();
      const minute = rowOf(minuteOf(endedAt));
      minute.ended++;
      if (r.status === "FAILED") minute.failed++;
      minute.latencies.push(endedAt - pending.get(r.id)!);
      pending.delete(r.id);
    }
  };

  let parts: string[] | undefined;
  let printed = 0;
  let loadDone = false;
  void load.finally(() => (loadDone = true));
  /** Resources at each minute's end, by minute. */
  const sampled = new Map<number, Resources>();
  while (!loadDone || printed < options.minutes) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    await pollEnds().catch((error: Error) => console.log(`# reading ends failed (retried): ${error.message}`));
    if (activeFault) rowOf(minuteOf(Date.now())).faults.add(activeFault);
    // A minute's row once it is over and its ends have been read.
    if (Date.now() - started >= (printed + 1) * MINUTE_MS + POLL_MS && printed < options.minutes) {
      printed++;
      const resources = await sampleResources(databases).catch((error: Error) => {
        console.log(`# sampling resources failed: ${error.message}`);
        return undefined;
      });
      // The header names the columns from the first resources sampled; a row without its resources is printed after it.
      if (!parts && resources) {
        parts = memoryParts(resources.rssMiB);
        console.log(header(parts, [...databases.keys()]));
      }
      if (!parts) continue;
      console.log(row(rowOf(printed), resources, parts, databases.size));
      if (resources) sampled.set(printed, resources);
    }
  }
  clearInterval(faultTimer);
  clearInterval(refreshing);
  await faultRun;

  // Every purchase must end; a parked one waits for an operator and is reported by the check.
  const settleBy = Date.now() + SETTLE_MS;
  while (pending.size > 0 && Date.now() < settleBy) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    await pollEnds().catch(() => undefined);
    const parked = await stillPending().where("status", "NEEDS_ATTENTION").count({ n: "*" });
    if (Number(parked[0].n) === pending.size) break;
  }
  await pollEnds().catch(() => undefined);
  for (const late of [...rows.values()].filter((r) => r.minute > options.minutes)) {
    console.log(`after the load: ${late.ended} ended in minute ${late.minute}, ${late.failed} of them FAILED`);
  }

  const notEnded = await stillPending().select("id", "status", "step");
  for (const r of notEnded.slice(0, 10)) violations.push(`purchase ${r.id} did not end: ${r.status} at ${r.step ?? "no step"}`);
  // One Idempotency-Key per purchase: a retried POST recorded twice would show as more rows than purchases accepted.
  const customerIds = customers.map((c) => c.customerId);
  const recorded = Number((await purchaseDb("purchases").whereIn("customer_id", customerIds).count({ n: "*" }))[0].n);
  if (recorded !== accepted.length) violations.push(`${recorded} purchases recorded for ${accepted.length} accepted`);
  const report = await checkPurchaseInvariants(
    { purchaseIds: accepted, initialStock: new Map(productIds.map((id) => [id, stock])), customerIds },
    60_000,
  ).catch((error: Error) => ({ completed: 0, failed: 0, violations: [`invariant check: ${error.message}`] }));
  violations.push(...report.violations);
  const atEnd = await sampleResources(databases);
  for (const db of databases.values()) await db.destroy();

  const allLatencies = [...rows.values()].flatMap((r) => r.latencies).sort((a, b) => a - b);
  console.log(
    `\n${accepted.length} accepted of ${total} offered` +
      (refused.size > 0 ? `, ${[...refused.values()].reduce((a, b) => a + b, 0)} refused (${[...refused].map(([k, n]) => `${k}×${n}`).join(", ")})` : "") +
      `; ${report.completed} COMPLETED (${((100 * report.completed) / Math.max(1, accepted.length)).toFixed(2)}%), ${report.failed} FAILED, ` +
      `${notEnded.length} not ended`,
  );
  console.log(
    `POST -> terminal over the run: p50 ${percentile(allLatencies, 50)} ms, p99 ${percentile(allLatencies, 99)} ms, max ${allLatencies[allLatencies.length - 1]} ms`,
  );
  // Minute 5, not 1: the first minutes warm caches, pools and JIT.
  const baseline = sampled.get(Math.min(5, options.minutes));
  const last = sampled.get(options.minutes);
  if (baseline && last && parts) {
    const change = (p: string) => {
      const [from, to] = [baseline.rssMiB.get(p), last.rssMiB.get(p)];
      return from && to ? `${p} ${from.toFixed(0)} -> ${to.toFixed(0)} MiB (${(100 * (to / from - 1)).toFixed(0)}%)` : `${p} -`;
    };
    console.log(`resident memory, minute ${Math.min(5, options.minutes)} -> ${options.minutes}: ${parts.map(change).join(", ")}`);
  }
  const per1000 = (from: number, to: number) => ((1000 * (to - from)) / Math.max(1, accepted.length)).toFixed(2);
  console.log(
    `disk per 1,000 purchases: ${[...atEnd.databaseMiB].map(([db, size]) => `${db} ${per1000(atStart.databaseMiB.get(db) ?? 0, size)} MiB`).join(", ")}, ` +
      `Kafka's log ${per1000(atStart.kafkaLogMiB, atEnd.kafkaLogMiB)} MiB (retention and pruning not yet at work within the run)`,
  );
  console.log(`invariants: ${violations.length === 0 ? "all hold" : `${violations.length} violation(s)`}`);
  for (const violation of violations.slice(0, 30)) console.log(`  ${violation}`);
  if (violations.length > 0) process.exitCode = 1;
}

main().then(
  // A stack part restarted from here is a detached daemon; nothing else should keep this program alive.
  () => process.exit(),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
