/**
 * Keeps the plumbing tables bounded. Outbox rows stay for the replay window;
 * inbox rows stay longer, so a replay of any row still in the outbox finds
 * its id in every consumer's inbox and stays harmless. Deletes go in batches
 * so a large backlog never holds long locks; the publication carries inserts
 * only, so none of this reaches Kafka.
 */
import type { Knex } from "knex";
import { integerSetting, type Environment } from "../settings/settings";

export interface RetentionPolicy {
  outboxDays: number;
  inboxDays: number;
  batchSize?: number;
}

export function retentionPolicyFromEnv(env: Environment = process.env): RetentionPolicy {
  const outboxDays = integerSetting(env, "OUTBOX_RETENTION_DAYS", 7, 1);
  // A replayed outbox row must still find its id in every inbox, or it would be applied twice.
  const inboxDays = integerSetting(env, "INBOX_RETENTION_DAYS", 14, outboxDays + 1);
  return { outboxDays, inboxDays };
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
