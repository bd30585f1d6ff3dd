/**
 * An outbox that stops streaming while everything says RUNNING: Kafka
 * Connect frozen (SIGSTOP) holds its replication slots and publishes
 * nothing. The owning service's watch calls it a stall, the gateway's
 * pipeline route and the stack's status say so, the watch ends the stale
 * walsender; once Connect runs again the row goes out, and all is healthy.
 */
import { api } from "../../support/http";
import { freezeConnect, waitForHealthySystem } from "../../support/faults";
import { ProbePipeline } from "../../support/probe-consumer";
import { waitUntil } from "../../support/wait";
import { kafkaConnect } from "../../../stack/parts/kafka-connect";
import type { OutboxFlowReport } from "../../../contracts/outbox-flow";

const pipeline = new ProbePipeline();

beforeAll(async () => {
  await waitForHealthySystem();
  await pipeline.start();
});
afterAll(() => pipeline.stop());

interface PipelineAnswer {
  status: string;
  outboxes: OutboxFlowReport[];
}

const pipelineHealth = () => api<PipelineAnswer>("GET", "/health/pipeline");

test("every outbox reports streaming on /health/pipeline", async () => {
  const { body } = await waitUntil(
    "six outboxes reported, all flowing",
    async () => {
      const answer = await pipelineHealth();
      return answer.status === 200 && answer.body.outboxes.length === 6 && answer;
    },
    120_000,
    1_000,
  );
  expect(body.status).toBe("streaming");
  expect(body.outboxes.map((o) => o.database).sort()).toEqual(["account", "orchestrator", "order", "payment", "product", "purchase"]);
});

test("a frozen Connect is a stall that shows, its walsender is ended, and the row goes out once Connect runs again", async () => {
  const thaw = freezeConnect();
  let id: string;
  try {
    id = await pipeline.write("stall", { seq: 1, label: "written while Connect is frozen" });
    const stalled = await waitUntil(
      "the account outbox to be reported stalled with its walsender ended",
      async () => {
        const { status, body } = await pipelineHealth();
        const account = body.outboxes.find((o) => o.database === "account");
        return status === 503 && account?.state === "stalled" && account.remedy?.startsWith("ended walsender") && account;
      },
      180_000,
      1_000,
    );
    expect(stalled.rowsWaiting).toBeGreaterThanOrEqual(1);
    expect(pipeline.delivered(id)).toEqual([]);
    const status = await kafkaConnect.status();
    expect(status.healthy).toBe(false);
  } finally {
    thaw();
  }
  await waitUntil("the row written during the stall to be applied", async () => (await pipeline.appliedCount(id)) === 1, 240_000, 1_000);
  await waitUntil("/health/pipeline to answer 200 again", async () => (await pipelineHealth()).status === 200, 180_000, 1_000);
  await waitForHealthySystem();
});
