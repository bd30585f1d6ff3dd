/**
 * The saga store's statements against the orchestrator's Postgres (the
 * engine's tests use an in-memory twin): the sweeper's search for overdue
 * sagas and its locks; retention (sagas that ended before the cut-off go
 * with their logs, in batches; unfinished ones stay however old, and so do
 * recently ended ones); the list's searches and the counts by status, each
 * also read by the index meant for it (what keeps them fast at a year of
 * sagas, `npm run bench:growth`).
 */
import { randomUUID } from "node:crypto";
import knex, { type Knex } from "knex";
import { databaseUrl } from "../../../lib/environment";
import { SagaStore, type OverdueQuery } from "../../../lib/saga/saga-store";
import { plansOf } from "../../support/query-plans";
import type { SagaStatus } from "../../../lib/saga/state";

const db = knex({ client: "pg", connection: databaseUrl("orchestrator"), pool: { min: 0, max: 2 } });
const sagaType = `store-test-${randomUUID()}`;
const DAY_MS = 86_400_000;

/** A saga last changed `daysAgo` days ago, with two log entries; `step` and `deadlineAt` for the sweeper's statements. */
async function storedSaga(
  state: SagaStatus,
  daysAgo: number,
  data: Record<string, string> = {},
  { step = 0, deadlineAt = null as Date | null } = {},
): Promise<string> {
  const id = randomUUID();
  const at = new Date(Date.now() - daysAgo * DAY_MS);
  await db("saga_instance").insert({
    id,
    saga_type: sagaType,
    definition_version: 1,
    state,
    current_step: step,
    deadline_at: deadlineAt,
    data,
    version: 1,
    attempt: 1,
    created_at: at,
    updated_at: at,
  });
  await db("saga_log").insert(["saga_started", "command_sent"].map((kind) => ({ saga_id: id, at, kind, step: 0, detail: {} })));
  return id;
}

async function removeSagas(): Promise<void> {
  await db("saga_log")
    .whereIn("saga_id", db("saga_instance").where({ saga_type: sagaType }).select("id"))
    .delete();
  await db("saga_instance").where({ saga_type: sagaType }).delete();
}

afterEach(removeSagas);
afterAll(() => db.destroy());

/** The indexes for the list's searches and the counts, each meant for its own kind of search. */
const SEARCH_INDEXES = ["saga_instance_customer_idx", "saga_instance_recent_idx", "saga_instance_status_idx"];

/**
 * The plan of each statement `work` sends, with sequential scans priced out
 * and every search index but `index` dropped (in a transaction that is
 * rolled back): so the plan shows whether the index meant for the statement
 * can answer it. At the test's few rows, and with a fresh database's
 * statistics, the planner may take any of them (CI once read the time window
 * through the status index).
 */
async function plansThrough(index: string, work: (store: SagaStore) => Promise<unknown>): Promise<string[]> {
  const prepare = async (trx: Knex.Transaction) => {
    await trx.raw("set local enable_seqscan = off");
    // The drop holds the table's lock until the rollback, a few milliseconds; it waits at most this long for the services' statements.
    await trx.raw("set local lock_timeout = '30s'");
    for (const other of SEARCH_INDEXES.filter((i) => i !== index)) await trx.raw("drop index ??", [other]);
  };
  return (await plansOf(db, (trx) => work(new SagaStore(trx)), { prepare })).map((p) => p.plan);
}

test("the list finds one customer's sagas and a time window, newest change first, each through its own index", async () => {
  const [alice, bob] = [randomUUID(), randomUUID()];
  const alices = [await storedSaga("COMPLETED", 3, { customerId: alice }), await storedSaga("RUNNING", 1, { customerId: alice })];
  const bobs = [await storedSaga("FAILED", 2, { customerId: bob }), await storedSaga("COMPLETED", 5, { customerId: bob })];
  const store = new SagaStore(db);

  expect((await store.list({ sagaType, dataEquals: { customerId: alice } })).map((s) => s.state.id)).toEqual([alices[1], alices[0]]);
  const window = await store.list({ sagaType, changedSince: new Date(Date.now() - 4 * DAY_MS), changedBefore: new Date(Date.now() - 1.5 * DAY_MS) });
  expect(window.map((s) => s.state.id)).toEqual([bobs[0], alices[0]]);
  expect((await store.list({ sagaType, limit: 2 })).map((s) => s.state.id)).toEqual([alices[1], bobs[0]]);
  expect((await store.list({ sagaType, status: "COMPLETED" })).map((s) => s.state.id)).toEqual([alices[0], bobs[1]]);
  await expect(store.list({ sagaType, dataEquals: { "customerId' or '1": alice } })).rejects.toThrow(/not a data field name/);

  const [byCustomer] = await plansThrough("saga_instance_customer_idx", (s) => s.list({ sagaType, dataEquals: { customerId: alice } }));
  expect(byCustomer).toContain("saga_instance_customer_idx");
  const [recent] = await plansThrough("saga_instance_recent_idx", (s) => s.list({ sagaType, changedSince: new Date(Date.now() - DAY_MS) }));
  expect(recent).toContain("saga_instance_recent_idx");
  const [byStatus] = await plansThrough("saga_instance_status_idx", (s) => s.list({ sagaType, status: "NEEDS_ATTENTION" }));
  expect(byStatus).toContain("saga_instance_status_idx");
});

test("the counts take every unfinished saga and the ended ones since a time, through the status index", async () => {
  await Promise.all([
    storedSaga("RUNNING", 40),
    storedSaga("RUNNING", 0),
    storedSaga("COMPENSATING", 10),
    storedSaga("NEEDS_ATTENTION", 60),
    storedSaga("COMPLETED", 0),
    storedSaga("COMPLETED", 0),
    storedSaga("COMPLETED", 2),
    storedSaga("FAILED", 0),
    storedSaga("FAILED", 3),
  ]);
  const counts = await new SagaStore(db).countByStatus(sagaType, new Date(Date.now() - DAY_MS));
  expect(counts).toEqual({ RUNNING: 2, COMPENSATING: 1, NEEDS_ATTENTION: 1, COMPLETED: 2, FAILED: 1 });

  const plans = await plansThrough("saga_instance_status_idx", (s) => s.countByStatus(sagaType, new Date(Date.now() - DAY_MS)));
  expect(plans).toHaveLength(2);
  for (const plan of plans) expect(plan).toContain("saga_instance_status_idx");
});

test("the sweeper's statements find the active sagas past their deadline, earliest first, each taken by one sweeper only", async () => {
  const now = new Date();
  const ago = (ms: number) => ({ deadlineAt: new Date(now.getTime() - ms) });
  const [late, later, latest] = [
    await storedSaga("RUNNING", 0, {}, ago(3_000)),
    await storedSaga("COMPENSATING", 0, {}, ago(2_000)),
    await storedSaga("RUNNING", 0, {}, ago(1_000)),
  ];
  // Not due yet, parked (an operator's), and ended: none of them is the sweeper's.
  await Promise.all([
    storedSaga("RUNNING", 0, {}, { deadlineAt: new Date(now.getTime() + 60_000) }),
    storedSaga("NEEDS_ATTENTION", 0, {}, ago(5_000)),
    storedSaga("COMPLETED", 0, {}, ago(5_000)),
  ]);
  const store = new SagaStore(db);
  const overdue = (trx: Knex.Transaction, extra: Partial<OverdueQuery> = {}) =>
    store.findOverdue(trx, { now, limit: 10, sagaType, ...extra }).then((sagas) => sagas.map((s) => s.state.id));

  expect(await store.anyOverdue(now, sagaType)).toBe(true);
  expect(await store.anyOverdue(now, `${sagaType}-none`)).toBe(false);
  await db.transaction(async (trx) => {
    expect(await overdue(trx)).toEqual([late, later, latest]);
    expect(await overdue(trx, { limit: 2 })).toEqual([late, later]);
    expect(await overdue(trx, { excluding: [later] })).toEqual([late, latest]);
  });

  // Two sweepers at once: the first holds its two until it commits, the second skips them.
  await db.transaction(async (first) => {
    expect(await overdue(first, { limit: 2 })).toEqual([late, later]);
    await db.transaction(async (second) => expect(await overdue(second)).toEqual([latest]));
  });

  // A postponed step waits until its own bound, unless due before the common one.
  const postponed = { steps: [{ definitionVersion: 1, step: 0, dueBy: new Date(now.getTime() - 2_500) }], unlessDueBefore: new Date(now.getTime() - 10_000) };
  await db.transaction(async (trx) => expect(await overdue(trx, { postponed })).toEqual([late]));
});

test("ended sagas past retention go with their logs, in batches; unfinished and recent ones stay", async () => {
  const oldEnded = [
    ...(await Promise.all(Array.from({ length: 5 }, () => storedSaga("COMPLETED", 40)))),
    ...(await Promise.all(Array.from({ length: 2 }, () => storedSaga("FAILED", 31)))),
  ];
  const kept = await Promise.all([
    storedSaga("COMPLETED", 29),
    storedSaga("FAILED", 1),
    storedSaga("RUNNING", 60),
    storedSaga("COMPENSATING", 60),
    storedSaga("NEEDS_ATTENTION", 60),
  ]);

  // Batches of 3: the seven go in three transactions, the last one short.
  const pruned = await new SagaStore(db).pruneEnded(new Date(Date.now() - 30 * DAY_MS), 3);

  expect(pruned).toBeGreaterThanOrEqual(oldEnded.length);
  const left = await db("saga_instance").where({ saga_type: sagaType }).pluck("id");
  expect(left.sort()).toEqual([...kept].sort());
  expect(Number((await db("saga_log").whereIn("saga_id", oldEnded).count({ n: "*" }))[0].n)).toBe(0);
  expect(Number((await db("saga_log").whereIn("saga_id", kept).count({ n: "*" }))[0].n)).toBe(2 * kept.length);
});
