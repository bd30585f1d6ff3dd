/** Pruning removes only rows past their retention, in batches, and publishes nothing. */
import { randomUUID } from "node:crypto";
import { pruneExpired } from "../../lib/outbox/retention";
import { ProbePipeline } from "../support/probe-consumer";
import { waitUntil } from "../support/wait";

const pipeline = new ProbePipeline();

beforeAll(() => pipeline.start());
afterAll(() => pipeline.stop());

test("rows past retention go, recent rows stay, and no delete reaches Kafka", async () => {
  const db = pipeline.producerDb;
  const old = Array.from({ length: 25 }, () => randomUUID());
  await db("inbox").insert(old.map((id) => ({ consumer: `retention-${pipeline.run}`, message_id: id, received_at: db.raw("now() - interval '30 days'") })));
  const recentInbox = randomUUID();
  await db("inbox").insert({ consumer: `retention-${pipeline.run}`, message_id: recentInbox });
  const recentOutbox = await pipeline.write("retention", { seq: 1, label: "recent" });
  await waitUntil("the recent message", () => pipeline.delivered(recentOutbox).length === 1);
  const agedOutbox = await pipeline.write("retention", { seq: 2, label: "aged" });
  await waitUntil("the aged message", () => pipeline.delivered(agedOutbox).length === 1);
  await db("outbox")
    .where({ id: agedOutbox })
    .update({ created_at: db.raw("now() - interval '8 days'") });

  const pruned = await pruneExpired(db, { outboxDays: 7, inboxDays: 14, batchSize: 10 });

  expect(pruned.inbox).toBeGreaterThanOrEqual(25);
  expect(pruned.outbox).toBeGreaterThanOrEqual(1);
  expect(await db("inbox").whereIn("message_id", old).count<{ count: string }[]>("* as count")).toEqual([{ count: "0" }]);
  expect(await db("inbox").where({ message_id: recentInbox }).first()).toBeDefined();
  expect(await db("outbox").where({ id: agedOutbox }).first()).toBeUndefined();
  expect(await db("outbox").where({ id: recentOutbox }).first()).toBeDefined();

  // A message written after the prune arrives, and nothing else on the key came before it.
  const marker = await pipeline.write("retention", { seq: 3, label: "marker" });
  await waitUntil("the marker", () => pipeline.delivered(marker).length === 1);
  expect(pipeline.deliveries.filter((d) => d.message.key === "retention").map((d) => d.message.payload.seq)).toEqual([1, 2, 3]);
});
