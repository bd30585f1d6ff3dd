/**
 * The mechanism everything stands on: a row written with the OutboxWriter in
 * one service's database reaches a consumer of another service through
 * Debezium and Kafka, and is applied exactly once in effect.
 */
import { randomUUID } from "node:crypto";
import { DEAD_LETTER_REASON_HEADER, deadLetterTopic } from "../../mixins/idempotent-channel";
import { collectTopic, headerValue, publishRaw } from "../support/kafka";
import { ProbePipeline } from "../support/probe-consumer";
import { waitUntil } from "../support/wait";

const pipeline = new ProbePipeline();

beforeAll(() => pipeline.start());
afterAll(() => pipeline.stop());

test("a message written to the outbox arrives with its id, key, type and payload intact", async () => {
  const payload = { seq: 1, label: 'naïve – ünïcödé & "quotes"' };
  const id = await pipeline.write("order-42", payload);

  const [delivery] = await waitUntil("the probe to be delivered", () => pipeline.delivered(id).length > 0 && pipeline.delivered(id));
  expect(delivery.message).toMatchObject({ id, key: "order-42", type: "ProbeRecorded", payload });
  await waitUntil("the probe to be applied", async () => (await pipeline.appliedCount(id)) === 1);
});

test("a rolled-back transaction leaves no message; every committed one is delivered", async () => {
  const committed: string[] = [];
  const rolledBack: string[] = [];
  for (let i = 0; i < 300; i++) {
    if (i % 3 === 0) rolledBack.push(await pipeline.write("rollbacks", { seq: i, label: "rolled back" }, { rollback: true }));
    else committed.push(await pipeline.write(`key-${i % 7}`, { seq: i, label: "committed" }));
  }
  // Same key as the rolled-back writes: once this arrives, any of them would have arrived before it.
  const marker = await pipeline.write("rollbacks", { seq: 1000, label: "marker" });

  await waitUntil("every committed probe and the marker", () => [...committed, marker].every((id) => pipeline.delivered(id).length > 0), 60_000);
  expect(rolledBack.filter((id) => pipeline.delivered(id).length > 0)).toEqual([]);
  await waitUntil("every committed probe to be applied", async () => (await pipeline.appliedCount(committed)) === committed.length);
});

test("the same record delivered twice changes state once", async () => {
  const id = await pipeline.write("dup-key", { seq: 7, label: "twice" });
  const [first] = await waitUntil("the first delivery", () => pipeline.delivered(id).length > 0 && pipeline.delivered(id));

  const headers = Object.fromEntries(Object.entries(first.raw.headers ?? {}).filter(([, v]) => v != null)) as typeof first.raw.headers;
  await publishRaw(pipeline.topic, [{ key: first.raw.key, value: first.raw.value, headers }]);

  await waitUntil("the second delivery", () => pipeline.delivered(id).length === 2);
  // Per-partition order: once the next message on the key is applied, the duplicate's turn is over.
  const after = await pipeline.write("dup-key", { seq: 8, label: "after" });
  await waitUntil("the message after the duplicate", async () => (await pipeline.appliedCount(after)) === 1);
  expect(await pipeline.appliedCount(id)).toBe(1);
});

test("poison messages go to the dead-letter topic and the partition keeps moving", async () => {
  const key = "poison-key";
  const invalidId = randomUUID();
  await publishRaw(pipeline.topic, [
    { key, value: "{not json", headers: { id: randomUUID(), type: "ProbeRecorded" } },
    { key, value: JSON.stringify({ seq: "three", label: 3 }), headers: { id: invalidId, type: "ProbeRecorded" } },
    { key, value: JSON.stringify({ seq: 3, label: "no id" }), headers: { type: "ProbeRecorded" } },
  ]);
  const healthy = await pipeline.write(key, { seq: 4, label: "after the poison" });

  await waitUntil("the healthy message after the poison", async () => (await pipeline.appliedCount(healthy)) === 1, 60_000);
  expect(await pipeline.appliedCount(invalidId)).toBe(0);

  const dlq = await collectTopic(deadLetterTopic(pipeline.topic));
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
  for (let seq = 0; seq < 200; seq++) ids.push(await pipeline.write("ordered", { seq, label: "ordered" }));

  await waitUntil("all ordered probes applied", async () => (await pipeline.appliedCount(ids)) === ids.length, 60_000);
  const seqs = pipeline.deliveries.filter((d) => d.message.key === "ordered").map((d) => d.message.payload.seq);
  expect(seqs).toEqual([...Array(200).keys()]);
  const applied = await pipeline.consumerDb(pipeline.table).where({ key: "ordered" }).orderBy("applied_order").pluck("seq");
  expect(applied).toEqual([...Array(200).keys()]);
});
