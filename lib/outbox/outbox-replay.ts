/**
 * Outbox replay: asks Debezium, through its signal table, for an incremental
 * snapshot of outbox rows, either those created in a time range or given
 * ones by id. The Outbox Event Router routes snapshot reads like inserts, so
 * each row is published again with its original id, key and headers;
 * consumers' inboxes make the repeat harmless. Only rows still inside the
 * retention window can be replayed.
 *
 * Progress: Debezium reads the rows in chunks of the connector's
 * incremental.snapshot.chunk.size, and marks each chunk in the signal table
 * with a window-close row that carries the time its window opened. The
 * chunks whose window opened after the request, against the chunks the
 * range needs, are the replay's progress. (Two replays running at once on
 * one database count each other's chunks.)
 */
import { randomUUID } from "node:crypto";
import type { Knex } from "knex";
import outboxConnector from "../../connect/outbox-connector.json";

export interface ReplayRange {
  from: Date;
  /** Exclusive; open-ended when absent. */
  to?: Date;
}

type Signal = { type: string; data: string };

/** Ids per signal: the signal table keeps its data in 2,048 characters, and 40 quoted UUIDs leave room to spare. */
export const MAX_REPLAY_IDS_PER_SIGNAL = 40;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An incremental snapshot of the outbox rows matching `filter` (SQL, which Debezium adds to its chunk queries). */
function snapshotSignal(filter: string): Signal {
  return {
    type: "execute-snapshot",
    data: JSON.stringify({
      "data-collections": ["public.outbox"],
      type: "incremental",
      "additional-conditions": [{ "data-collection": "public.outbox", filter }],
    }),
  };
}

export function replaySignal(range: ReplayRange): Signal {
  const bounds = [`created_at >= '${range.from.toISOString()}'`];
  if (range.to) bounds.push(`created_at < '${range.to.toISOString()}'`);
  return snapshotSignal(bounds.join(" and "));
}

/** Replays exactly the outbox rows with these ids (1 to MAX_REPLAY_IDS_PER_SIGNAL of them). */
export function replayRowsSignal(ids: readonly string[]): Signal {
  if (ids.length === 0 || ids.length > MAX_REPLAY_IDS_PER_SIGNAL)
    throw new RangeError(`a signal replays 1 to ${MAX_REPLAY_IDS_PER_SIGNAL} rows, not ${ids.length}`);
  // Checked, as the ids go into SQL.
  const bad = ids.find((id) => !UUID.test(id));
  if (bad !== undefined) throw new RangeError(`outbox ids are UUIDs, not ${JSON.stringify(bad)}`);
  return snapshotSignal(`id in (${ids.map((id) => `'${id}'`).join(", ")})`);
}

async function insertSignal(db: Knex, signal: Signal): Promise<string> {
  const id = randomUUID();
  await db("debezium_signal").insert({ id, ...signal });
  return id;
}

/** Rows Debezium reads per chunk of a replay. */
export const REPLAY_CHUNK_ROWS = Number(outboxConnector["incremental.snapshot.chunk.size"]);

export interface ReplayRequest {
  /** The signal's id (Debezium logs it as it starts and finishes the snapshot). */
  signalId: string;
  /** The database's clock when the signal was written. */
  requestedAt: Date;
  /** Outbox rows in the range when it was requested. */
  rows: number;
}

export interface ReplayProgress {
  chunksRead: number;
  chunksNeeded: number;
  done: boolean;
}

export async function requestOutboxReplay(db: Knex, range: ReplayRange): Promise<ReplayRequest> {
  if (Number.isNaN(range.from.getTime()) || (range.to && Number.isNaN(range.to.getTime()))) throw new RangeError("replay range needs valid dates");
  if (range.to && range.from >= range.to) throw new RangeError("a replay range runs forward: from must come before to");
  return db.transaction(async (trx) => {
    const [{ rows, now }] = await trx("outbox")
      .where("created_at", ">=", range.from)
      .modify((q) => range.to && q.where("created_at", "<", range.to))
      .select(trx.raw("count(*)::int as rows"), trx.raw("clock_timestamp() as now"));
    const signalId = await insertSignal(trx, replaySignal(range));
    return { signalId, requestedAt: new Date(now), rows };
  });
}

/** Debezium reads a range in full chunks and then one short (or empty) one. */
export const chunksNeeded = (rows: number) => Math.floor(rows / REPLAY_CHUNK_ROWS) + 1;

/** How far the replay requested at `requestedAt` (of `rows` rows) has been read. */
export async function replayProgress(db: Knex, request: Pick<ReplayRequest, "requestedAt" | "rows">): Promise<ReplayProgress> {
  const [{ closed }] = await db("debezium_signal")
    .where("type", "snapshot-window-close")
    .whereRaw("(data::jsonb ->> 'openWindowTimestamp')::timestamptz >= ?", [request.requestedAt])
    .select(db.raw("count(*)::int as closed"));
  const needed = chunksNeeded(request.rows);
  return { chunksRead: Math.min(closed, needed), chunksNeeded: needed, done: closed >= needed };
}

/**
 * Replays the outbox rows with these ids, one signal per
 * MAX_REPLAY_IDS_PER_SIGNAL; pass a transaction to signal only if it commits.
 * @returns the signals' ids.
 */
export async function requestOutboxRowsReplay(db: Knex, ids: readonly string[]): Promise<string[]> {
  const signals: Signal[] = [];
  for (let i = 0; i < ids.length; i += MAX_REPLAY_IDS_PER_SIGNAL) signals.push(replayRowsSignal(ids.slice(i, i + MAX_REPLAY_IDS_PER_SIGNAL)));
  const signalIds: string[] = [];
  for (const signal of signals) signalIds.push(await insertSignal(db, signal));
  return signalIds;
}
