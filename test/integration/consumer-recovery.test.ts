/**
 * A batch consumer never stays dead: one held past its Kafka session (a
 * frozen process, a long pause) re-joins its group and goes on; one that
 * kafkajs stops for good is replaced. Either way every message is applied
 * once, and the batch that was in flight comes again and changes nothing.
 */
import { KafkaJSNonRetriableError } from "kafkajs";
import { ProbePipeline } from "../support/probe-consumer";
import { waitUntil } from "../support/wait";

// The broker's smallest allowed session timeout (group.min.session.timeout.ms): the hold below outlasts it quickly.
const SESSION_TIMEOUT_MS = 6_000;
const pipeline = new ProbePipeline({ sessionTimeoutMs: SESSION_TIMEOUT_MS });

beforeAll(() => pipeline.start());
afterAll(() => pipeline.stop());

async function writeProbes(key: string, count: number, label: string): Promise<string[]> {
  const ids: string[] = [];
  for (let seq = 0; seq < count; seq++) ids.push(await pipeline.write(key, { seq, label }));
  return ids;
}

const appliedSeqs = (key: string): Promise<number[]> => pipeline.consumerDb(pipeline.table).where({ key }).orderBy("applied_order").pluck("seq");

test("a consumer held past its session timeout re-joins its group: the held batch and everything after it applies once", async () => {
  let released = false;
  pipeline.onNextBatch(async () => {
    // Hold the handler (no heartbeat meanwhile) until the coordinator has certainly forgotten this member.
    await new Promise((resolve) => setTimeout(resolve, SESSION_TIMEOUT_MS * 2));
    released = true;
  });
  const held = await writeProbes("held", 5, "held");
  await waitUntil("the held batch to be released", () => released, 60_000);
  const after = await writeProbes("held", 5, "after-the-hold");

  await waitUntil("every probe applied", async () => (await pipeline.appliedCount([...held, ...after])) === 10, 120_000);
  expect(await appliedSeqs("held")).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
});

test("a consumer that kafkajs stops for good is replaced by a new one: nothing is lost, nothing applied twice", async () => {
  let thrown = false;
  pipeline.onNextBatch(async () => {
    thrown = true;
    // The kind of error after which kafkajs neither retries nor restarts the consumer.
    throw new KafkaJSNonRetriableError("a failure kafkajs does not restart from");
  });
  const first = await writeProbes("replaced", 5, "before");
  await waitUntil("the consumer to have failed", () => thrown, 60_000);
  const second = await writeProbes("replaced", 5, "after");

  await waitUntil("every probe applied", async () => (await pipeline.appliedCount([...first, ...second])) === 10, 120_000);
  expect(await appliedSeqs("replaced")).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
  // The failed batch was delivered again to the new consumer.
  expect(pipeline.delivered(first[0]).length).toBeGreaterThanOrEqual(2);
});
