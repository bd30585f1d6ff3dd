/**
 * Outbox replay: asks Debezium, through its signal table, for an incremental
 * snapshot of the outbox rows created in a time range. The Outbox Event
 * Router routes snapshot reads like inserts, so each row is published again
 * with its original id, key and headers; consumers' inboxes make the repeat
 * harmless. Only rows still inside the retention window can be replayed.
 */
import { randomUUID } from "node:crypto";
import type { Knex } from "knex";

export interface ReplayRange {
  from: Date;
  /** Exclusive; open-ended when absent. */
  to?: Date;
}

export function replaySignal(range: ReplayRange): { type: string; data: string } {
  const bounds = [`created_at >= '${range.from.toISOString()}'`];
  if (range.to) bounds.push(`created_at < '${range.to.toISOString()}'`);
  return {
    type: "execute-snapshot",
    data: JSON.stringify({
      "data-collections": ["public.outbox"],
      type: "incremental",
      "additional-conditions": [{ "data-collection": "public.outbox", filter: bounds.join(" and ") }],
    }),
  };
}

/** @returns the signal's id (Debezium logs it as it starts and finishes the snapshot). */
export async function requestOutboxReplay(db: Knex, range: ReplayRange): Promise<string> {
  if (Number.isNaN(range.from.getTime()) || (range.to && Number.isNaN(range.to.getTime()))) throw new RangeError("replay range needs valid dates");
  const id = randomUUID();
  await db("debezium_signal").insert({ id, ...replaySignal(range) });
  return id;
}
