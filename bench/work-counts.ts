/**
 * What a run made the stack do, besides CPU: statements Postgres ran per
 * database (pg_stat_statements, preloaded by the stack; node-postgres sends
 * each statement as one round trip, BEGIN and COMMIT included) and messages
 * Kafka took per topic (the topics' end offsets). A snapshot before a run and
 * one after give the counts per saga.
 */
import { Kafka, logLevel } from "kafkajs";
import { Client } from "pg";
import { kafkaConnection } from "../lib/environment";
import { adminDatabaseUrl } from "../stack/database-roles";

export type Counts = Map<string, number>;

/** Statements run so far, per database of the stack (the scratch pgbench database left out). */
export async function statementCounts(): Promise<Counts> {
  // The view shows every database's statements to the stack's superuser; the product database holds the extension.
  const client = new Client({ connectionString: adminDatabaseUrl("product") });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string; calls: string }>(
      `select d.datname, sum(s.calls)::bigint as calls
         from pg_stat_statements s join pg_database d on d.oid = s.dbid
        where d.datname <> 'pgbench'
        group by d.datname`,
    );
    return new Map(rows.map((r) => [r.datname, Number(r.calls)]));
  } finally {
    await client.end();
  }
}

/** Messages on each topic so far (the sum of its partitions' end offsets), Kafka's own topics left out. */
export async function messageCounts(): Promise<Counts> {
  const admin = new Kafka({ clientId: "bench-message-counts", ...kafkaConnection(), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => !topic.startsWith("_") && !topic.startsWith("connect-"));
    const counts: Counts = new Map();
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      counts.set(
        topic,
        offsets.reduce((sum, p) => sum + Number(p.high), 0),
      );
    }
    return counts;
  } finally {
    await admin.disconnect();
  }
}

/** "12.4 in all (orchestrator 4.1, product 2.0, …)": what each key added between two snapshots, per saga, largest first. */
export function perSaga(before: Counts, after: Counts, sagas: number): string {
  const added = [...after].map(([key, n]) => [key, n - (before.get(key) ?? 0)] as const).filter(([, n]) => n > 0);
  added.sort((a, b) => b[1] - a[1]);
  const total = added.reduce((sum, [, n]) => sum + n, 0);
  return `${(total / sagas).toFixed(1)} in all (${added.map(([key, n]) => `${key} ${(n / sagas).toFixed(2)}`).join(", ")})`;
}
