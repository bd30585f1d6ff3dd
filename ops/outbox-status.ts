/**
 * How far each service database's outbox is from Kafka: rows kept, the oldest
 * and newest, and how much WAL its Debezium slot has not yet confirmed (the
 * lag; it grows while Connect is down, shrinks to ~0 when caught up).
 */
import knex from "knex";
import { SERVICE_DATABASES, type ServiceDatabase, databaseUrl } from "../lib/environment";
import { slotLag } from "../lib/outbox/outbox-lag";

export interface OutboxStatus {
  database: ServiceDatabase;
  rows: number;
  oldest: string | null;
  newest: string | null;
  slotActive: boolean | null;
  slotLagBytes: number | null;
}

export async function outboxStatus(): Promise<OutboxStatus[]> {
  return Promise.all(
    SERVICE_DATABASES.map(async (database) => {
      const db = knex({ client: "pg", connection: databaseUrl(database), pool: { min: 0, max: 1 } });
      try {
        const [rows, slot] = await Promise.all([
          db("outbox").first(db.raw("count(*)::int as rows"), db.raw("min(created_at) as oldest"), db.raw("max(created_at) as newest")),
          slotLag(db, database),
        ]);
        return {
          database,
          rows: rows.rows,
          oldest: rows.oldest ? new Date(rows.oldest).toISOString() : null,
          newest: rows.newest ? new Date(rows.newest).toISOString() : null,
          slotActive: slot.active,
          slotLagBytes: slot.lagBytes,
        };
      } finally {
        await db.destroy();
      }
    }),
  );
}
