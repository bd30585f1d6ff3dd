/**
 * Outbox replay for recovery: a signal to Debezium re-publishes the outbox
 * rows of a time range with their original ids; the inbox makes the repeat
 * harmless, and rows outside the range are not sent again.
 */
import { requestOutboxReplay } from "../../lib/outbox/outbox-replay";
import { ProbePipeline } from "../support/probe-consumer";
import { waitUntil } from "../support/wait";

const pipeline = new ProbePipeline();

beforeAll(() => pipeline.start());
afterAll(() => pipeline.stop());

const dbNow = async (): Promise<Date> => (await pipeline.producerDb.raw("select clock_timestamp() as now")).rows[0].now;

test("a replayed range is delivered again with the same ids and applied once", async () => {
  const before = await pipeline.write("replay", { seq: 0, label: "before the range" });
  await waitUntil("the message before the range", () => pipeline.delivered(before).length === 1);
  const from = await dbNow();
  const inRange: string[] = [];
  for (let seq = 1; seq <= 20; seq++) inRange.push(await pipeline.write(`replay-${seq % 4}`, { seq, label: "in range" }));
  const to = await dbNow();
  await waitUntil("the range's first delivery", () => inRange.every((id) => pipeline.delivered(id).length === 1), 60_000);

  await requestOutboxReplay(pipeline.producerDb, { from, to });

  await waitUntil("every message of the range delivered a second time", () => inRange.every((id) => pipeline.delivered(id).length === 2), 120_000);
  const replayed = pipeline.delivered(inRange[0])[1];
  expect(replayed.message).toMatchObject({ id: inRange[0], key: "replay-1", type: "ProbeRecorded", payload: { seq: 1, label: "in range" } });
  expect(await pipeline.appliedCount(inRange)).toBe(inRange.length);
  // The row before the range was not part of the snapshot.
  const after = await pipeline.write("replay", { seq: 99, label: "after the replay" });
  await waitUntil("a message after the replay", () => pipeline.delivered(after).length === 1);
  expect(pipeline.delivered(before)).toHaveLength(1);
});

test("a range without valid dates is refused before anything is signalled", async () => {
  await expect(requestOutboxReplay(pipeline.producerDb, { from: new Date("not a date") })).rejects.toThrow(RangeError);
});
