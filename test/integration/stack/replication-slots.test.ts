/**
 * Every outbox's replication slot follows the cluster's WAL, even on a
 * database that writes no outbox row for a long time. Debezium confirms a
 * position only for what it publishes; a quiet database's slot used to stay
 * where its last outbox row was, holding back every database's WAL (one
 * cluster here) until Postgres invalidated it past max_slot_wal_keep_size,
 * and that outbox never streamed again. The connectors' heartbeat now emits a
 * logical message every 10 s and publishes a heartbeat record, whose offset
 * moves the slot on.
 */
import knex from "knex";
import { SERVICE_DATABASES, databaseUrl } from "../../../lib/environment";
import { outboxSlotName } from "../../../lib/outbox/outbox-status";
import { waitUntil } from "../../support/wait";

const db = knex({ client: "pg", connection: databaseUrl("account"), pool: { min: 0, max: 1 } });

afterAll(() => db.destroy());

test("every slot confirms WAL written after now, with no outbox row written anywhere", async () => {
  const { rows } = await db.raw<{ rows: { now: string }[] }>("select pg_current_wal_lsn()::text as now");
  const start = rows[0].now;

  const behind = async () => {
    const { rows: slots } = await db.raw<{ rows: { slot_name: string; behind: boolean }[] }>(
      "select slot_name, confirmed_flush_lsn is null or confirmed_flush_lsn < ?::pg_lsn as behind from pg_replication_slots where slot_name = any(?)",
      [start, SERVICE_DATABASES.map(outboxSlotName)],
    );
    expect(slots).toHaveLength(SERVICE_DATABASES.length);
    return slots.filter((s) => s.behind).map((s) => s.slot_name);
  };
  // Two heartbeat intervals and Connect's offset flush, with room for a loaded machine.
  await waitUntil("every outbox slot to confirm a position past the start", async () => (await behind()).length === 0, 120_000, 1_000).catch(
    async (error: Error) => {
      throw new Error(`${error.message}; still behind: ${(await behind()).join(", ")}`);
    },
  );
});
