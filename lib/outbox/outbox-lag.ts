/**
 * How far a service database's outbox is from Kafka: how much WAL its
 * Debezium slot has not yet confirmed (it grows while Connect is down or
 * behind, and is near 0 when caught up), and whether a connector holds it.
 */
import type { Knex } from "knex";
import type { ServiceDatabase } from "../environment";

export interface SlotLag {
  /** Null when the slot does not exist (its connector never ran). */
  active: boolean | null;
  lagBytes: number | null;
}

/** The slot Debezium streams `database`'s outbox through (connect/outbox-connector.json names it). */
export const outboxSlotName = (database: ServiceDatabase) => `outbox_${database}`;

export async function slotLag(db: Knex, database: ServiceDatabase): Promise<SlotLag> {
  const { rows } = await db.raw<{ rows: { active: boolean; lag: string | null }[] }>(
    "select active, pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint as lag from pg_replication_slots where slot_name = ?",
    [outboxSlotName(database)],
  );
  const [slot] = rows;
  return slot ? { active: slot.active, lagBytes: slot.lag === null ? null : Number(slot.lag) } : { active: null, lagBytes: null };
}
