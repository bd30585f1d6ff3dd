/**
 * Latency from outbox commit to the consumer's handler, through Debezium and
 * Kafka, over N messages (default 2000) written by a few concurrent writers.
 *   npm run bench:outbox -- [messages] [writers] [pause between commits, ms]
 * Needs the local stack up (npm run stack -- up).
 */
import { randomUUID } from "node:crypto";
import knex from "knex";
import { ServiceBroker } from "moleculer";
import config from "../moleculer.config";
import { databaseUrl } from "../lib/environment";
import { OutboxWriter } from "../lib/outbox/outbox-writer";
import { DatabaseMixin } from "../mixins/database.mixin";
import { idempotentChannel } from "../mixins/idempotent-channel";
import { createTopics } from "../test/support/kafka";
import { waitUntil } from "../test/support/wait";
import { useStackEnv } from "../stack/stack-env";

const total = Number(process.argv[2] ?? 2000);
const writers = Number(process.argv[3] ?? 4);
/** Pause between one writer's commits: 0 measures under full load, more measures the idle path. */
const paceMs = Number(process.argv[4] ?? 0);
const topic = `bench.${randomUUID().slice(0, 8)}.latency`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  useStackEnv();
  await createTopics([topic], 6);
  const committedAt = new Map<string, number>();
  const latencies: number[] = [];
  const broker = new ServiceBroker({ ...config, transporter: undefined, cacher: undefined, logger: false, nodeID: `bench-${process.pid}` });
  broker.createService({
    name: "bench-consumer",
    mixins: [DatabaseMixin("product")],
    channels: {
      [topic]: idempotentChannel({
        topic,
        consumer: `bench-${topic}`,
        concurrency: 6,
        handlers: {
          BenchPing: {
            async handle(_trx, message) {
              return () => {
                const sent = committedAt.get(message.id);
                if (sent !== undefined) latencies.push(performance.now() - sent);
              };
            },
          },
        },
      }),
    },
  });
  await broker.start();

  const db = knex({ client: "pg", connection: databaseUrl("account"), pool: { min: writers, max: writers } });
  const outbox = new OutboxWriter();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < total) {
        const seq = next++;
        const id = randomUUID();
        await db.transaction((trx) => outbox.append(trx, { id, topic, key: `k${seq % 64}`, type: "BenchPing", payload: { seq } }));
        committedAt.set(id, performance.now());
        if (paceMs > 0) await new Promise((r) => setTimeout(r, paceMs));
      }
    }),
  );
  const writeSeconds = (performance.now() - started) / 1000;
  await waitUntil(`${total} deliveries`, () => latencies.length >= total, 300_000);
  const allSeconds = (performance.now() - started) / 1000;

  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(`messages: ${total}, writers: ${writers}, pause: ${paceMs} ms`);
  console.log(
    `commit -> handler latency: median ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms`,
  );
  console.log(
    `written in ${writeSeconds.toFixed(2)} s (${(total / writeSeconds).toFixed(0)} msg/s), all delivered after ${allSeconds.toFixed(2)} s (${(total / allSeconds).toFixed(0)} msg/s)`,
  );
  await broker.stop();
  await db.destroy();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
