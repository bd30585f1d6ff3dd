/**
 * A replication slot Postgres invalidated: the account connector paused
 * while the cluster writes more WAL than max_slot_wal_keep_size (lowered to
 * 16 MB for the test), a checkpoint, and the slot is lost. Resumed, Debezium
 * refuses its offsets (their WAL is gone) and no task can stream. The account
 * service's outbox watch resets the stream, and a row written meanwhile goes
 * out.
 */
import { Client } from "pg";
import { connectUrl, connectorName } from "../../../lib/environment";
import { outboxSlotName } from "../../../lib/outbox/outbox-status";
import { adminDatabaseUrl } from "../../../stack/database-roles";
import { waitForHealthySystem } from "../../support/faults";
import { ProbePipeline } from "../../support/probe-consumer";
import { waitUntil } from "../../support/wait";

const pipeline = new ProbePipeline();
const admin = new Client({ connectionString: adminDatabaseUrl("account") });
const slot = outboxSlotName("account");
const connector = `${connectUrl()}/connectors/${connectorName("account")}`;
const MIB = 1024 * 1024;

beforeAll(async () => {
  await waitForHealthySystem();
  await pipeline.start();
  await admin.connect();
});

afterAll(async () => {
  // Whatever happened, the cluster gets its own bound back and the connector runs.
  await admin.query("alter system reset max_slot_wal_keep_size").then(() => admin.query("select pg_reload_conf()"));
  await fetch(`${connector}/resume`, { method: "PUT" }).catch(() => undefined);
  await admin.end();
  await pipeline.stop();
});

async function slotState(): Promise<{ active: boolean; lost: boolean } | undefined> {
  const { rows } = await admin.query<{ active: boolean; lost: boolean }>(
    "select active, wal_status = 'lost' as lost from pg_replication_slots where slot_name = $1",
    [slot],
  );
  return rows[0];
}

/** WAL bytes the other outbox slots have not released: they must be near the end before the checkpoint, or they are lost too. */
async function othersBehind(): Promise<number> {
  const { rows } = await admin.query<{ behind: string | null }>(
    "select max(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn))::bigint as behind from pg_replication_slots where slot_name like 'outbox\\_%' and slot_name <> $1",
    [slot],
  );
  return Number(rows[0].behind ?? 0);
}

test("a slot lost past max_slot_wal_keep_size is reset by the outbox watch, and the outbox streams again", async () => {
  const before = await pipeline.write("lost-slot", { seq: 1, label: "before" });
  await waitUntil("the first row", () => pipeline.delivered(before).length === 1, 120_000, 500);

  // Paused, not stopped: the watch's own remedies (a restart of the connector) leave a paused connector paused.
  expect((await fetch(`${connector}/pause`, { method: "PUT" })).ok).toBe(true);
  await admin.query("alter system set max_slot_wal_keep_size = '16MB'");
  await admin.query("select pg_reload_conf()");
  // WAL the paused connector's slot cannot follow: rows of no outbox, written and removed.
  for (let round = 0; round < 4; round++) {
    await admin.query(
      "insert into inbox (consumer, message_id) select 'lost-slot-test', gen_random_uuid() from generate_series(1, 100000); delete from inbox where consumer = 'lost-slot-test'",
    );
  }
  // The running connectors confirm every heartbeat: once their slots are close to the end, only the paused one is past the bound.
  await waitUntil("the other slots to follow the WAL", async () => (await othersBehind()) < 8 * MIB, 120_000, 1_000);
  await admin.query("checkpoint");
  await waitUntil("Postgres to invalidate the paused connector's slot", async () => (await slotState())?.lost === true, 60_000, 500);
  await admin.query("alter system reset max_slot_wal_keep_size");
  await admin.query("select pg_reload_conf()");

  expect((await fetch(`${connector}/resume`, { method: "PUT" })).ok).toBe(true);
  const after = await pipeline.write("lost-slot", { seq: 2, label: "written while the slot is lost" });
  await waitUntil("the row written while the slot was lost to go out", () => pipeline.delivered(after).length >= 1, 300_000, 1_000);
  // The reset's initial snapshot may publish that row before its task streams: a row written now must stream.
  await waitUntil("the new slot to stream", async () => (await slotState())?.active === true, 120_000, 500);
  expect(await slotState()).toEqual({ active: true, lost: false });
  const streamed = await pipeline.write("lost-slot", { seq: 3, label: "written after the reset" });
  await waitUntil("a row written after the reset to go out", () => pipeline.delivered(streamed).length >= 1, 120_000, 500);
}, 900_000);
