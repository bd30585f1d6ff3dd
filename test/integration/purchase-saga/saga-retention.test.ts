/**
 * Saga retention against the orchestrator's Postgres: sagas that ended
 * before the cut-off go with their logs, in batches; running, compensating
 * and parked sagas stay however old, and so do recently ended ones.
 */
import { randomUUID } from "node:crypto";
import knex from "knex";
import { databaseUrl } from "../../../lib/environment";
import { SagaStore } from "../../../lib/saga/saga-store";
import type { SagaStatus } from "../../../lib/saga/state";

const db = knex({ client: "pg", connection: databaseUrl("orchestrator"), pool: { min: 0, max: 2 } });
const sagaType = `retention-test-${randomUUID()}`;
const DAY_MS = 86_400_000;

/** A saga last changed `daysAgo` days ago, with two log entries. */
async function storedSaga(state: SagaStatus, daysAgo: number): Promise<string> {
  const id = randomUUID();
  const at = new Date(Date.now() - daysAgo * DAY_MS);
  await db("saga_instance").insert({
    id,
    saga_type: sagaType,
    definition_version: 1,
    state,
    current_step: 0,
    data: {},
    version: 1,
    attempt: 1,
    created_at: at,
    updated_at: at,
  });
  await db("saga_log").insert(["saga_started", "command_sent"].map((kind) => ({ saga_id: id, at, kind, step: 0, detail: {} })));
  return id;
}

afterAll(async () => {
  await db("saga_log")
    .whereIn("saga_id", db("saga_instance").where({ saga_type: sagaType }).select("id"))
    .delete();
  await db("saga_instance").where({ saga_type: sagaType }).delete();
  await db.destroy();
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
