/**
 * How far a service database's outbox is from Kafka. A row is waiting until
 * the Debezium slot has confirmed the WAL past it (Connect confirms about a
 * second after Kafka has it); the slot's unconfirmed WAL is reported too, but
 * on a cluster shared by several databases it counts their writes as well,
 * so "rows waiting" is the figure to watch.
 */
import type { Knex } from "knex";
import type { OutboxFlowReport } from "../../contracts/outbox-flow";
import type { ServiceDatabase } from "../environment";

export interface OutboxStatus {
  database: ServiceDatabase;
  /** Rows kept for replay, published or not. */
  rowsKept: number;
  /** Rows Debezium has not yet confirmed. */
  rowsWaiting: number;
  /** When the oldest waiting row was written; null when none waits. */
  oldestWaitingAt: string | null;
  slotActive: boolean | null;
  slotLagBytes: number | null;
  /** The service's outbox watch's latest judgement (lib/outbox/outbox-watch.ts); null before its first look. */
  flow: OutboxFlowReport | null;
}

/** The slot Debezium streams `database`'s outbox through (connect/outbox-connector.json names it). */
export const outboxSlotName = (database: ServiceDatabase) => `outbox_${database}`;

/** The outbox's rows and its slot, read in one statement; `flow` is the watch's, passed through. */
export async function outboxStatus(db: Knex, database: ServiceDatabase, flow: OutboxFlowReport | null): Promise<OutboxStatus> {
  const { rows } = await db.raw<{ rows: { kept: number; waiting: number; oldest_waiting: Date | null; active: boolean | null; lag: string | null }[] }>(
    `with slot as (
       select active, confirmed_flush_lsn from pg_replication_slots where slot_name = ?
     ), confirmed as (
       -- Without a slot nothing has been confirmed: every row with a position waits.
       select coalesce((select pg_wal_lsn_diff(confirmed_flush_lsn, '0/0')::bigint from slot), -1) as position
     )
     select count(*)::int as kept,
            (count(*) filter (where wal_position > confirmed.position))::int as waiting,
            min(created_at) filter (where wal_position > confirmed.position) as oldest_waiting,
            (select active from slot) as active,
            (select pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint from slot) as lag
       from outbox, confirmed`,
    [outboxSlotName(database)],
  );
  const [{ kept, waiting, oldest_waiting, active, lag }] = rows;
  return {
    database,
    rowsKept: kept,
    rowsWaiting: waiting,
    oldestWaitingAt: oldest_waiting ? new Date(oldest_waiting).toISOString() : null,
    slotActive: active,
    slotLagBytes: lag === null ? null : Number(lag),
    flow,
  };
}
