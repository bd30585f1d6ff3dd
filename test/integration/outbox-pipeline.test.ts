/**
 * The mechanism everything stands on: a row written with the OutboxWriter in
 * one service's database reaches a consumer of another service through
 * Debezium and Kafka, and is applied exactly once in effect.
 */
import { randomUUID } from "node:crypto";
import knex, { type Knex } from "knex";
import type { KafkaMessage } from "kafkajs";
import type { Middleware, ServiceBroker, ServiceSchema } from "moleculer";
import { databaseUrl } from "../../lib/environment";
import type { InboundMessage } from "../../lib/inbox/idempotent-consumer";
import { OutboxWriter } from "../../lib/outbox/outbox-writer";
import { DatabaseMixin, type DatabaseThis } from "../../mixins/database.mixin";
import { DEAD_LETTER_REASON_HEADER, deadLetterTopic, idempotentChannel } from "../../mixins/idempotent-channel";
import { startBroker } from "../support/broker";
import { collectTopic, createTopics, headerValue, publishRaw } from "../support/kafka";
import { waitUntil } from "../support/wait";

const run = randomUUID().slice(0, 8);
const topic = `itest.${run}.probes`;
const probeTable = `itest_probe_${run}`;

interface Probe {
  seq: number;
  label: string;
}

/** Every delivery the handler saw (duplicates included), in arrival order. */
const deliveries: { message: InboundMessage<Probe>; raw?: KafkaMessage }[] = [];

const producerDb: Knex = knex({ client: "pg", connection: databaseUrl("account"), pool: { min: 0, max: 4 } });
const consumerDb: Knex = knex({ client: "pg", connection: databaseUrl("product"), pool: { min: 0, max: 4 } });
const outbox = new OutboxWriter();
let broker: ServiceBroker;

const probeConsumer: ServiceSchema = {
  name: "probe-consumer",
  mixins: [DatabaseMixin("product")],
  channels: {
    [topic]: idempotentChannel({
      topic,
      consumer: `probe-consumer-${run}`,
      db: (service) => (service as unknown as DatabaseThis).db,
      retry: { attempts: 2, baseDelayMs: 10 },
      handlers: {
        ProbeRecorded: {
          schema: { seq: "number|integer", label: "string" },
          async handle(trx, message: InboundMessage<Probe>) {
            await trx(probeTable).insert({ message_id: message.id, key: message.key, seq: message.payload.seq });
          },
        },
      },
    }),
  },
};

/** Records each delivery before the idempotent consumer decides, so duplicates are visible. */
function recordingMiddleware() {
  return {
    name: "RecordDeliveries",
    localChannel(next: (payload: unknown, raw: KafkaMessage) => Promise<void>) {
      return async (payload: unknown, raw: KafkaMessage) => {
        deliveries.push({
          message: { id: headerValue(raw, "id") ?? "", type: headerValue(raw, "type") ?? "", key: raw.key?.toString() ?? "", topic, payload: payload as Probe },
          raw,
        });
        return next(payload, raw);
      };
    },
  };
}

async function writeProbe(key: string, payload: Probe, options: { rollback?: boolean } = {}): Promise<string> {
  let id = "";
  await producerDb
    .transaction(async (trx) => {
      [id] = await outbox.append(trx, { topic, key, type: "ProbeRecorded", payload });
      if (options.rollback) throw new Error("rolled back on purpose");
    })
    .catch((error: Error) => {
      if (!options.rollback) throw error;
    });
  return id;
}

const delivered = (id: string) => deliveries.filter((d) => d.message.id === id);
const appliedCount = async (id: string) => Number((await consumerDb(probeTable).where({ message_id: id }).count<{ count: string }[]>("* as count"))[0].count);

beforeAll(async () => {
  await createTopics([topic, deadLetterTopic(topic)]);
  await consumerDb.schema.createTable(probeTable, (t) => {
    t.uuid("message_id").notNullable();
    t.text("key").notNullable();
    t.integer("seq").notNullable();
    t.bigIncrements("applied_order");
  });
  broker = await startBroker([probeConsumer]);
  broker.middlewares.add(recordingMiddleware() as unknown as Middleware);
  // Channel handlers were wrapped at service creation; re-create the service so the recorder sits in front.
  await broker.destroyService(broker.getLocalService("probe-consumer")!);
  broker.createService(probeConsumer);
  await broker.waitForServices("probe-consumer");
});

afterAll(async () => {
  await broker?.stop();
  await consumerDb.schema.dropTableIfExists(probeTable);
  await Promise.all([producerDb.destroy(), consumerDb.destroy()]);
});

test("a message written to the outbox arrives with its id, key, type and payload intact", async () => {
  const payload = { seq: 1, label: "naïve – ünïcödé & \"quotes\"" };
  const id = await writeProbe("order-42", payload);

  const [delivery] = await waitUntil("the probe to be delivered", () => delivered(id).length > 0 && delivered(id));
  expect(delivery.message).toMatchObject({ id, key: "order-42", type: "ProbeRecorded", payload });
  await waitUntil("the probe to be applied", async () => (await appliedCount(id)) === 1);
});

test("a rolled-back transaction leaves no message; every committed one is delivered", async () => {
  const committed: string[] = [];
  const rolledBack: string[] = [];
  for (let i = 0; i < 300; i++) {
    if (i % 3 === 0) rolledBack.push(await writeProbe("rollbacks", { seq: i, label: "rolled back" }, { rollback: true }));
    else committed.push(await writeProbe(`key-${i % 7}`, { seq: i, label: "committed" }));
  }
  // Same key as the rolled-back writes: once this arrives, any of them would have arrived before it.
  const marker = await writeProbe("rollbacks", { seq: 1000, label: "marker" });

  await waitUntil("every committed probe and the marker", () => [...committed, marker].every((id) => delivered(id).length > 0), 60_000);
  expect(rolledBack.filter((id) => delivered(id).length > 0)).toEqual([]);
  const applied = await consumerDb(probeTable).whereIn("message_id", committed).count<{ count: string }[]>("* as count");
  expect(Number(applied[0].count)).toBe(committed.length);
});

test("the same record delivered twice changes state once", async () => {
  const id = await writeProbe("dup-key", { seq: 7, label: "twice" });
  const [first] = await waitUntil("the first delivery", () => delivered(id).length > 0 && delivered(id));
  const raw = first.raw!;

  const headers = Object.fromEntries(Object.entries(raw.headers ?? {}).filter(([, v]) => v != null)) as typeof raw.headers;
  await publishRaw(topic, [{ key: raw.key, value: raw.value, headers }]);

  await waitUntil("the second delivery", () => delivered(id).length === 2);
  // The second delivery's transaction has committed (or rolled back) once the next message on its partition is handled.
  const after = await writeProbe("dup-key", { seq: 8, label: "after" });
  await waitUntil("the message after the duplicate", () => delivered(after).length > 0);
  expect(await appliedCount(id)).toBe(1);
  expect(await appliedCount(after)).toBe(1);
});

test("poison messages go to the dead-letter topic and the partition keeps moving", async () => {
  const key = "poison-key";
  const invalidId = randomUUID();
  await publishRaw(topic, [
    { key, value: "{not json", headers: { id: randomUUID(), type: "ProbeRecorded" } },
    { key, value: JSON.stringify({ seq: "three", label: 3 }), headers: { id: invalidId, type: "ProbeRecorded" } },
    { key, value: JSON.stringify({ seq: 3, label: "no id" }), headers: { type: "ProbeRecorded" } },
  ]);
  const healthy = await writeProbe(key, { seq: 4, label: "after the poison" });

  await waitUntil("the healthy message after the poison", () => delivered(healthy).length > 0, 60_000);
  expect(await appliedCount(healthy)).toBe(1);
  expect(await appliedCount(invalidId)).toBe(0);

  const dlq = await collectTopic(deadLetterTopic(topic));
  try {
    await waitUntil("three dead letters", () => dlq.records.length >= 3);
    const values = dlq.records.map((r) => r.value?.toString());
    expect(values).toEqual(expect.arrayContaining(["{not json", JSON.stringify({ seq: "three", label: 3 }), JSON.stringify({ seq: 3, label: "no id" })]));
    const invalid = dlq.records.find((r) => headerValue(r, "id") === invalidId)!;
    expect(headerValue(invalid, DEAD_LETTER_REASON_HEADER)).toMatch(/invalid ProbeRecorded.*seq/);
  } finally {
    await dlq.stop();
  }
});

test("messages for one key arrive in commit order", async () => {
  const ids: string[] = [];
  for (let seq = 0; seq < 200; seq++) ids.push(await writeProbe("ordered", { seq, label: "ordered" }));

  await waitUntil("all ordered probes", () => ids.every((id) => delivered(id).length > 0), 60_000);
  const seqs = deliveries.filter((d) => d.message.key === "ordered").map((d) => d.message.payload.seq);
  expect(seqs).toEqual([...Array(200).keys()]);
  const applied = await consumerDb(probeTable).where({ key: "ordered" }).orderBy("applied_order").pluck("seq");
  expect(applied).toEqual([...Array(200).keys()]);
});
