/**
 * Batch consumption on the real pipeline: a partition's messages applied in
 * shared transactions, a poison message isolated by splitting the batch, and
 * a batch delivered again after its transaction committed changing nothing.
 */
import { randomUUID } from "node:crypto";
import { DEAD_LETTER_REASON_HEADER, deadLetterTopic } from "../../mixins/idempotent-channel";
import { collectTopic, groupCaughtUp, headerValue, publishRaw } from "../support/kafka";
import { ProbePipeline, REFUSED_LABEL } from "../support/probe-consumer";
import { waitUntil } from "../support/wait";

const pipeline = new ProbePipeline();

beforeAll(() => pipeline.start());
afterAll(() => pipeline.stop());

const appliedSeqs = (key: string): Promise<number[]> => pipeline.consumerDb(pipeline.table).where({ key }).orderBy("applied_order").pluck("seq");

test("a poison message in the middle of a batch: every other message applies once and in order, the poison one is dead-lettered with its reason", async () => {
  const key = "batch-with-poison";
  const probes = Array.from({ length: 40 }, (_, seq) => ({ id: randomUUID(), seq, label: seq === 17 ? REFUSED_LABEL : "good" }));
  // One send: the records lie next to each other in one partition, and reach the consumer as one batch.
  await publishRaw(
    pipeline.topic,
    probes.map(({ id, seq, label }) => ({ key, value: JSON.stringify({ seq, label }), headers: { id, type: "ProbeRecorded" } })),
  );
  const poison = probes[17];
  const good = probes.filter((p) => p !== poison);

  await waitUntil("every good probe applied", async () => (await pipeline.appliedCount(good.map((p) => p.id))) === good.length, 60_000);
  expect(await appliedSeqs(key)).toEqual(good.map((p) => p.seq));
  expect(await pipeline.appliedCount(poison.id)).toBe(0);

  const dlq = await collectTopic(deadLetterTopic(pipeline.topic));
  try {
    const letter = await waitUntil("the poison probe's dead letter", () => dlq.records.find((r) => headerValue(r, "id") === poison.id));
    expect(headerValue(letter, DEAD_LETTER_REASON_HEADER)).toBe("handler failed 2 times: the probe refuses this one");
    expect(dlq.records.filter((r) => good.some((p) => p.id === headerValue(r, "id")))).toEqual([]);
  } finally {
    await dlq.stop();
  }
});

test("a consumer that stops after its transactions committed and before its offsets did gets the batches again, and they change nothing", async () => {
  const keys = ["replayed-a", "replayed-b", "replayed-c"];
  const ids: string[] = [];
  for (let seq = 0; seq < 60; seq++) ids.push(await pipeline.write(keys[seq % keys.length], { seq, label: "replayed" }));
  await waitUntil("every probe applied", async () => (await pipeline.appliedCount(ids)) === ids.length, 60_000);
  const before = await Promise.all(keys.map(appliedSeqs));

  await pipeline.restartFromTheBeginning();

  await waitUntil("every probe delivered a second time", () => ids.every((id) => pipeline.delivered(id).length >= 2), 60_000);
  await waitUntil("the group caught up again", () => groupCaughtUp(pipeline.groupId, pipeline.topic), 60_000);
  expect(await pipeline.appliedCount(ids)).toBe(ids.length);
  expect(await Promise.all(keys.map(appliedSeqs))).toEqual(before);
});
