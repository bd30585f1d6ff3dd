/**
 * The outbox's status as the dashboard reads it: rows counted one by one up
 * to OUTBOX_ROWS_COUNTED, beyond that Postgres's estimate, so a week's
 * outbox costs the overview no full count. Each case runs against a
 * temporary table named `outbox`, which shadows the real one inside a
 * rolled-back transaction: nothing reaches the real outbox or Debezium.
 */
import knex, { type Knex } from "knex";
import { databaseUrl } from "../../lib/environment";
import { OUTBOX_ROWS_COUNTED, outboxStatus, type OutboxStatus } from "../../lib/outbox/outbox-status";

const db = knex({ client: "pg", connection: databaseUrl("order"), pool: { min: 0, max: 1 } });

afterAll(() => db.destroy());

class RolledBack extends Error {}

/** The status of a private outbox holding `rows` rows written before the slot's confirmed position and `waiting` after it. */
async function statusOf(rows: number, waiting: number): Promise<OutboxStatus> {
  let status: OutboxStatus | undefined;
  await db
    .transaction(async (trx: Knex.Transaction) => {
      await trx.raw("create temporary table outbox (like public.outbox including all) on commit drop");
      const insert = (count: number, position: string) =>
        trx.raw(
          `insert into outbox (id, aggregatetype, aggregateid, type, payload, wal_position)
           select gen_random_uuid(), 'status-test', i::text, 'Test', '{}', ${position} from generate_series(1, ?) i`,
          [count],
        );
      await insert(rows, "0");
      await insert(waiting, "pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint + 1000000000");
      await trx.raw("analyze outbox");
      status = await outboxStatus(trx, "order", null);
      throw new RolledBack();
    })
    .catch((error: unknown) => {
      if (!(error instanceof RolledBack)) throw error;
    });
  if (!status) throw new Error("no status read");
  return status;
}

test("a small outbox is counted row by row, with the rows past the slot waiting", async () => {
  const status = await statusOf(25, 3);
  expect(status).toMatchObject({ database: "order", rowsKept: 28, rowsKeptEstimated: false, rowsWaiting: 3, slotActive: true });
  expect(status.oldestWaitingAt).not.toBeNull();
});

test("an outbox past the counted bound is given by Postgres's estimate, never below the rows waiting", async () => {
  const status = await statusOf(OUTBOX_ROWS_COUNTED + 500, 2);
  expect(status.rowsKeptEstimated).toBe(true);
  // ANALYZE of a freshly filled table estimates within a few rows of the truth.
  expect(status.rowsKept).toBeGreaterThan(OUTBOX_ROWS_COUNTED);
  expect(Math.abs(status.rowsKept - (OUTBOX_ROWS_COUNTED + 502))).toBeLessThan(200);
  expect(status.rowsWaiting).toBe(2);
});
