import type { OutboxFlowReport } from "../../../contracts/outbox-flow";
import { PipelineHealth } from "../../../lib/outbox/pipeline-health";

const T0 = Date.parse("2026-12-05T12:00:00Z");

function report(database: OutboxFlowReport["database"], state: OutboxFlowReport["state"], atMs: number): OutboxFlowReport {
  return {
    database,
    state,
    rowsWaiting: 0,
    oldestWaitMs: 0,
    slotStillMs: 0,
    slotActive: true,
    slotLagBytes: 0,
    remedy: null,
    at: new Date(T0 + atMs).toISOString(),
  };
}

describe("PipelineHealth", () => {
  it("carries while every fresh report is flowing, and not once one is stalled or behind", () => {
    const health = new PipelineHealth();
    health.note(report("order", "flowing", 0));
    health.note(report("payment", "flowing", 0));
    expect(health.verdict(T0 + 1_000).carrying).toBe(true);
    health.note(report("payment", "backlogged", 5_000));
    expect(health.verdict(T0 + 6_000)).toMatchObject({ carrying: false, silent: [] });
  });

  it("takes the newest reading when reports arrive out of order", () => {
    const health = new PipelineHealth();
    health.note(report("order", "flowing", 10_000));
    health.note(report("order", "stalled", 5_000));
    expect(health.verdict(T0 + 11_000).carrying).toBe(true);
  });

  it("lists a service that stopped reporting as silent, and lets it say nothing either way", () => {
    const health = new PipelineHealth();
    health.note(report("order", "stalled", 0));
    health.note(report("payment", "flowing", 100_000));
    expect(health.verdict(T0 + 100_000)).toMatchObject({ carrying: true, silent: ["order"] });
    expect(health.verdict(T0 + 100_000).outboxes.map((o) => o.database)).toEqual(["payment"]);
  });
});
