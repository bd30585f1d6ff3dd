/**
 * Outbox replay: asks Debezium, through its signal table, for an incremental
 * snapshot of outbox rows, either those created in a time range or given
 * ones by id. The Outbox Event Router routes snapshot reads like inserts, so
 * each row is published again with its original id, key and headers;
 * consumers' inboxes make the repeat harmless. Only rows still inside the
 * retention window can be replayed.
 */
import { randomUUID } from "node:crypto";
import type { Knex } from "knex";

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

/** @returns the signal's id (Debezium logs it as it starts and finishes the snapshot). */
export async function requestOutboxReplay(db: Knex, range: ReplayRange): Promise<string> {
  if (Number.isNaN(range.from.getTime()) || (range.to && Number.isNaN(range.to.getTime()))) throw new RangeError("replay range needs valid dates");
  return insertSignal(db, replaySignal(range));
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
