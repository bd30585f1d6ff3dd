/**
 * Keeps the plumbing tables bounded. Outbox rows stay for the replay window;
 * inbox rows stay longer, so a replay of any row still in the outbox finds
 * its id in every consumer's inbox and stays harmless. Deletes go in batches
 * so a large backlog never holds long locks; the publication carries inserts
 * only, so none of this reaches Kafka.
 */
import type { Knex } from "knex";

export interface RetentionPolicy {
  outboxDays: number;
  inboxDays: number;
  batchSize?: number;
}

export function retentionPolicyFromEnv(source: NodeJS.ProcessEnv = process.env): RetentionPolicy {
  const policy = { outboxDays: Number(source.OUTBOX_RETENTION_DAYS ?? 7), inboxDays: Number(source.INBOX_RETENTION_DAYS ?? 14) };
  if (!(policy.outboxDays > 0) || !(policy.inboxDays > policy.outboxDays)) {
    throw new RangeError("retention: OUTBOX_RETENTION_DAYS must be > 0 and INBOX_RETENTION_DAYS greater than it (replays must stay deduplicated)");
  }
  return policy;
}

async function deleteOlderThan(db: Knex, table: string, column: string, days: number, batchSize: number): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await db.raw(
      `delete from ${table} where ctid = any(array(select ctid from ${table} where ${column} < now() - make_interval(days => ?) limit ?))`,
      [days, batchSize],
    );
    total += deleted.rowCount;
    if (deleted.rowCount < batchSize) return total;
  }
}

export async function pruneExpired(db: Knex, policy: RetentionPolicy): Promise<{ outbox: number; inbox: number }> {
  const batchSize = policy.batchSize ?? 5_000;
  return {
    outbox: await deleteOlderThan(db, "outbox", "created_at", policy.outboxDays, batchSize),
    inbox: await deleteOlderThan(db, "inbox", "received_at", policy.inboxDays, batchSize),
  };
}
