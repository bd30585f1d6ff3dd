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
  /** Rows kept for replay, published or not: counted up to OUTBOX_ROWS_COUNTED, beyond that Postgres's estimate. */
  rowsKept: number;
  /** Whether rowsKept is Postgres's estimate (from its last ANALYZE) rather than a count. */
  rowsKeptEstimated: boolean;
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

/**
 * Outbox rows counted one by one; a larger outbox (a busy week's replay
 * window holds millions) is given by Postgres's estimate, since counting
 * 1.2 M rows takes about 200 ms and the dashboard asks every 2 s.
 */
export const OUTBOX_ROWS_COUNTED = 10_000;

/** The outbox's rows and its slot, read in one statement; `flow` is the watch's, passed through. */
export async function outboxStatus(db: Knex, database: ServiceDatabase, flow: OutboxFlowReport | null): Promise<OutboxStatus> {
  const { rows } = await db.raw<{
    rows: { counted: number; estimated: number; waiting: number; oldest_waiting: Date | null; active: boolean | null; lag: string | null }[];
  }>(
    `with slot as (
       select active, confirmed_flush_lsn from pg_replication_slots where slot_name = ?
     ), confirmed as (
       -- Without a slot nothing has been confirmed: every row with a position waits.
       select coalesce((select pg_wal_lsn_diff(confirmed_flush_lsn, '0/0')::bigint from slot), -1) as position
     ), waiting as (
       -- Read through outbox_wal_position: only the rows past the slot's position.
       select count(*)::int as waiting, min(created_at) as oldest from outbox, confirmed where wal_position > confirmed.position
     )
     select (select count(*)::int from (select 1 from outbox limit ?) counted) as counted,
            (select reltuples::bigint from pg_class where oid = 'outbox'::regclass) as estimated,
            waiting.waiting, waiting.oldest as oldest_waiting,
            (select active from slot) as active,
            (select pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint from slot) as lag
       from waiting`,
    [outboxSlotName(database), OUTBOX_ROWS_COUNTED + 1],
  );
  const [{ counted, estimated, waiting, oldest_waiting, active, lag }] = rows;
  const rowsKeptEstimated = counted > OUTBOX_ROWS_COUNTED;
  return {
    database,
    // An estimate is never below what was counted, nor below the rows still waiting.
    rowsKept: rowsKeptEstimated ? Math.max(Number(estimated), counted, waiting) : counted,
    rowsKeptEstimated,
    rowsWaiting: waiting,
    oldestWaitingAt: oldest_waiting ? new Date(oldest_waiting).toISOString() : null,
    slotActive: active,
    slotLagBytes: lag === null ? null : Number(lag),
    flow,
  };
}
