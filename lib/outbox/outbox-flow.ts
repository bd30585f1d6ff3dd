/**
 * Whether an outbox is streaming into Kafka, judged from what Postgres
 * shows: rows past the slot's confirmed position are waiting, and the slot's
 * confirmed position is how far Debezium has got. Connect's REST API can
 * say RUNNING while a task streams nothing (after a broker outage, a task
 * that never finished stopping keeps its replication slot), so only the
 * database tells the truth.
 *
 * - flowing: no row has waited longer than the bound;
 * - backlogged: rows have waited longer, but the slot moves (catching up);
 * - stalled: rows have waited longer, and the slot has not moved for as long.
 */
import type { Knex } from "knex";
import { type ServiceDatabase, connectorName } from "../environment";
import { outboxSlotName } from "./outbox-status";

export const OUTBOX_FLOW_STATES = ["flowing", "backlogged", "stalled"] as const;
export type OutboxFlowState = (typeof OUTBOX_FLOW_STATES)[number];

/** One look at an outbox and its slot. */
export interface OutboxReading {
  /** Epoch ms when it was read. */
  at: number;
  rowsWaiting: number;
  /** Epoch ms of the oldest waiting row; null when none waits. */
  oldestWaitingAt: number | null;
  /** How far the outbox is known published, in WAL bytes: the slot's confirmed position, or Debezium's offset when that is ahead; null without either. */
  confirmedPosition: number | null;
  slotActive: boolean | null;
  /** The walsender holding the slot, when one does. */
  slotHolderPid: number | null;
  /** WAL the slot has not confirmed (on a shared cluster, other databases' WAL too); null without a slot. */
  slotLagBytes: number | null;
  /**
   * Postgres invalidated the slot: it fell further behind than
   * max_slot_wal_keep_size, and the WAL it needed is gone. No task can
   * stream from it again; only a reset of the connector mends it.
   */
  slotLost: boolean;
}

/** What is remembered between readings: where the slot was and since when. */
export interface SlotProgress {
  confirmedPosition: number | null;
  /** Epoch ms of the first reading at that position. */
  since: number;
}

export interface OutboxFlow {
  state: OutboxFlowState;
  /** How long the oldest waiting row has waited, ms (0 when none). */
  oldestWaitMs: number;
  /** How long the slot has stood still, ms. */
  slotStillMs: number;
  progress: SlotProgress;
}

/** Judges a reading against the slot's progress so far. Pure. */
export function judgeOutboxFlow(previous: SlotProgress | undefined, reading: OutboxReading, stallAfterMs: number): OutboxFlow {
  const moved = previous === undefined || previous.confirmedPosition !== reading.confirmedPosition;
  const progress: SlotProgress = moved ? { confirmedPosition: reading.confirmedPosition, since: reading.at } : previous;
  const oldestWaitMs = reading.oldestWaitingAt === null ? 0 : Math.max(0, reading.at - reading.oldestWaitingAt);
  const slotStillMs = reading.at - progress.since;
  const state: OutboxFlowState = oldestWaitMs <= stallAfterMs ? "flowing" : slotStillMs >= stallAfterMs ? "stalled" : "backlogged";
  return { state, oldestWaitMs, slotStillMs, progress };
}

/**
 * Reads the outbox's waiting rows and its slot in one statement (the waiting
 * rows are the index's tail). `deliveredPosition`, when known, is how far
 * Debezium's own offsets say it has published: after a restart on a quiet
 * database the slot can stay behind rows already in Kafka (the slot is told
 * only when a later change is committed), so those rows do not wait.
 */
export async function readOutbox(db: Knex, database: ServiceDatabase, deliveredPosition: number | null = null): Promise<OutboxReading> {
  const { rows } = await db.raw<{
    rows: {
      active: boolean | null;
      pid: number | null;
      confirmed: string | null;
      lag: string | null;
      lost: boolean | null;
      waiting: number;
      oldest: Date | null;
      now: Date;
    }[];
  }>(
    `with slot as (
       select active, active_pid, wal_status = 'lost' as lost, pg_wal_lsn_diff(confirmed_flush_lsn, '0/0')::bigint as confirmed,
              pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint as lag
         from pg_replication_slots where slot_name = ?
     ), published as (
       select greatest((select confirmed from slot), ?::bigint) as position
     ), waiting as (
       select count(*)::int as waiting, min(created_at) as oldest
         from outbox where wal_position > coalesce((select position from published), -1)
     )
     select (select active from slot) as active, (select active_pid from slot) as pid, (select position from published) as confirmed,
            (select lag from slot) as lag, (select lost from slot) as lost, waiting.waiting, waiting.oldest, now() as now
       from waiting`,
    [outboxSlotName(database), deliveredPosition],
  );
  const [row] = rows;
  return {
    // The database's clock, so a row's age does not depend on two clocks agreeing.
    at: new Date(row.now).getTime(),
    rowsWaiting: row.waiting,
    oldestWaitingAt: row.oldest ? new Date(row.oldest).getTime() : null,
    confirmedPosition: row.confirmed === null ? null : Number(row.confirmed),
    slotActive: row.active,
    slotHolderPid: row.pid,
    slotLagBytes: row.lag === null ? null : Number(row.lag),
    slotLost: row.lost === true,
  };
}

/**
 * Drops the slot if Postgres has invalidated it, so the connector can make
 * a new one. Dropping a slot takes the REPLICATION attribute, which only
 * the change-capture role has: the service, a member of it, acts as that
 * role for this one statement (the stack tool connects as that role).
 * Answers whether a slot was dropped.
 */
export async function dropLostSlot(db: Knex, database: ServiceDatabase): Promise<boolean> {
  return db.transaction(async (trx) => {
    const { rows: roles } = await trx.raw<{ rows: { role: string }[] }>(
      // The change-capture role itself, or the one the service is a member of.
      "select rolname as role from pg_roles where rolreplication and pg_has_role(current_user, oid, 'MEMBER') order by rolname = current_user desc",
    );
    if (roles.length === 0) throw new Error(`${database}: the service's role is a member of no replication role, so it cannot drop a slot`);
    await trx.raw("set local role ??", [roles[0].role]);
    const { rows } = await trx.raw<{ rows: unknown[] }>(
      "select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = ? and wal_status = 'lost'",
      [outboxSlotName(database)],
    );
    return rows.length > 0;
  });
}

/**
 * Ends the walsender that holds the slot: a Debezium task that was stopped
 * while Kafka was away but never let go of its replication connection.
 * The task that runs now takes the slot on its next try. Answers whether a
 * backend was ended.
 */
export async function releaseSlot(db: Knex, database: ServiceDatabase, pid: number): Promise<boolean> {
  const { rows } = await db.raw<{ rows: { ended: boolean | null }[] }>(
    "select pg_terminate_backend(active_pid) as ended from pg_replication_slots where slot_name = ? and active_pid = ?",
    [outboxSlotName(database), pid],
  );
  return rows[0]?.ended === true;
}

interface ConnectorOffsets {
  offsets?: { offset?: { lsn?: number } }[];
}

/**
 * How far Debezium's committed offsets say the connector of `database` has
 * published (Kafka Connect's offsets API), in WAL bytes; null when Connect
 * does not answer or has none.
 */
export async function deliveredPosition(connectUrl: string, database: ServiceDatabase): Promise<number | null> {
  try {
    const res = await fetch(`${connectUrl}/connectors/${connectorName(database)}/offsets`, { signal: AbortSignal.timeout(3_000) });
    if (!res.ok) return null;
    const lsn = ((await res.json()) as ConnectorOffsets).offsets?.[0]?.offset?.lsn;
    return typeof lsn === "number" && Number.isSafeInteger(lsn) ? lsn : null;
  } catch {
    return null;
  }
}
