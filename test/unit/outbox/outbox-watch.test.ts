import type { OutboxFlowReport } from "../../../contracts/outbox-flow";
import { type OutboxReading, judgeOutboxFlow } from "../../../lib/outbox/outbox-flow";
import { type OutboxPlumbing, OutboxWatch } from "../../../lib/outbox/outbox-watch";

const STALL = 30_000;

function reading(at: number, overrides: Partial<OutboxReading> = {}): OutboxReading {
  return {
    at,
    rowsWaiting: 0,
    oldestWaitingAt: null,
    confirmedPosition: 100,
    slotActive: true,
    slotHolderPid: 4242,
    slotLagBytes: 2048,
    slotLost: false,
    ...overrides,
  };
}

describe("judgeOutboxFlow", () => {
  it("is flowing while no row has waited past the bound, whatever the slot does", () => {
    const first = judgeOutboxFlow(undefined, reading(0, { rowsWaiting: 3, oldestWaitingAt: 0 }), STALL);
    const later = judgeOutboxFlow(first.progress, reading(STALL, { rowsWaiting: 3, oldestWaitingAt: 0 }), STALL);
    expect([first.state, later.state]).toEqual(["flowing", "flowing"]);
  });

  it("is backlogged when rows wait past the bound but the slot moves", () => {
    const first = judgeOutboxFlow(undefined, reading(0, { confirmedPosition: 100 }), STALL);
    const behind = judgeOutboxFlow(first.progress, reading(40_000, { rowsWaiting: 900, oldestWaitingAt: 0, confirmedPosition: 500 }), STALL);
    expect(behind.state).toBe("backlogged");
    expect(behind.slotStillMs).toBe(0);
  });

  it("is stalled when rows wait past the bound and the slot has stood still as long", () => {
    const first = judgeOutboxFlow(undefined, reading(0), STALL);
    const still = judgeOutboxFlow(first.progress, reading(29_999, { rowsWaiting: 5, oldestWaitingAt: -10_000 }), STALL);
    expect(still.state).toBe("backlogged");
    const stalled = judgeOutboxFlow(still.progress, reading(30_000, { rowsWaiting: 5, oldestWaitingAt: -10_000 }), STALL);
    expect(stalled).toMatchObject({ state: "stalled", oldestWaitMs: 40_000, slotStillMs: 30_000 });
  });
});

/** A scripted outbox: readings in turn, and a record of every remedy asked for. */
function scripted(readings: OutboxReading[], world: { kafka: boolean; connect: boolean | null; delivered?: number; slotDropFails?: string }) {
  const asked: string[] = [];
  const plumbing: OutboxPlumbing = {
    read: async (delivered) => {
      const next = readings.shift() ?? reading(Number.MAX_SAFE_INTEGER);
      // A second look with Debezium's offset ahead of every waiting row finds none waiting.
      return delivered !== undefined && delivered !== null ? { ...next, rowsWaiting: 0, oldestWaitingAt: null, confirmedPosition: delivered } : next;
    },
    deliveredPosition: async () => world.delivered ?? null,
    releaseSlot: async (pid) => {
      asked.push(`release ${pid}`);
      return true;
    },
    kafkaAnswers: async () => world.kafka,
    restartConnector: async () => {
      asked.push("restart connector");
      return world.connect;
    },
    resetStream: async () => {
      asked.push("reset stream");
      if (world.slotDropFails) throw new Error(world.slotDropFails);
      return world.connect;
    },
  };
  const reports: OutboxFlowReport[] = [];
  const warnings: string[] = [];
  const watch = new OutboxWatch({
    database: "purchase",
    plumbing,
    stallAfterMs: STALL,
    logger: { info: () => undefined, warn: (m) => warnings.push(m) },
    report: (r) => reports.push(r),
  });
  return { watch, asked, reports, warnings };
}

const stalledRun = (overrides: Partial<OutboxReading> = {}) => [
  reading(0, { rowsWaiting: 7, oldestWaitingAt: -60_000, ...overrides }),
  reading(30_000, { rowsWaiting: 7, oldestWaitingAt: -60_000, ...overrides }),
];

describe("OutboxWatch", () => {
  it("ends the walsender that holds a stalled slot once Kafka answers, and says so", async () => {
    const { watch, asked, reports } = scripted(stalledRun(), { kafka: true, connect: true });
    await watch.check();
    const report = await watch.check();
    expect(asked).toEqual(["release 4242"]);
    expect(report).toMatchObject({ state: "stalled", slotLagBytes: 2048 });
    expect(report.remedy).toMatch(/ended walsender 4242, which held slot outbox_purchase/);
    expect(reports.map((r) => r.state)).toEqual(["backlogged", "stalled"]);
  });

  it("counts rows Debezium's offsets show published as not waiting, although the slot was not told", async () => {
    const late = { rowsWaiting: 1, oldestWaitingAt: -400_000 };
    const { watch, asked, reports } = scripted([reading(0, late), reading(0, late), reading(30_000, late), reading(30_000, late)], {
      kafka: true,
      connect: true,
      delivered: 5_000,
    });
    await watch.check();
    const report = await watch.check();
    expect(report.state).toBe("flowing");
    expect(asked).toEqual([]);
    expect(reports.map((r) => r.state)).toEqual(["flowing", "flowing"]);
  });

  it("asks Connect to restart a connector whose slot no task has held for twice the bound, though no row waits yet", async () => {
    const free = { slotActive: false, slotHolderPid: null };
    const { watch, asked } = scripted([reading(0, free), reading(59_999, free), reading(60_000, free)], { kafka: true, connect: true });
    await watch.check();
    await watch.check();
    expect(asked).toEqual([]);
    const report = await watch.check();
    expect(asked).toEqual(["restart connector"]);
    expect(report).toMatchObject({ state: "flowing", remedy: expect.stringMatching(/asked Kafka Connect to restart outbox-purchase/) });
  });

  it("resets the stream of a slot Postgres invalidated, rather than restart a connector that can never stream from it", async () => {
    const lost = { slotActive: false, slotHolderPid: null, slotLost: true };
    const { watch, asked } = scripted(stalledRun(lost), { kafka: true, connect: true });
    await watch.check();
    const report = await watch.check();
    expect(asked).toEqual(["reset stream"]);
    expect(report.remedy).toMatch(/slot outbox_purchase was lost .* reset connector outbox-purchase, which publishes the outbox again/);

    const refused = scripted(stalledRun(lost), { kafka: true, connect: false });
    await refused.watch.check();
    expect((await refused.watch.check()).remedy).toMatch(/Kafka Connect did not go along with a reset/);
  });

  it("says a reset that failed half-way, as a warning, and tries it again at the next remedy", async () => {
    const lost = { slotActive: false, slotHolderPid: null, slotLost: true };
    const { watch, asked, warnings } = scripted([...stalledRun(lost), reading(120_000, { rowsWaiting: 7, oldestWaitingAt: -60_000, ...lost })], {
      kafka: true,
      connect: true,
      slotDropFails: "must be superuser or replication role to use replication slots",
    });
    await watch.check();
    const report = await watch.check();
    expect(report.remedy).toMatch(/slot outbox_purchase is lost and the reset of outbox-purchase failed \(must be superuser/);
    expect(warnings).toContain("outbox of purchase: " + report.remedy);
    await watch.check();
    expect(asked).toEqual(["reset stream", "reset stream"]);
  });

  it("does nothing to the slot while Kafka does not answer: the stall is the broker's", async () => {
    const { watch, asked } = scripted(stalledRun(), { kafka: false, connect: true });
    await watch.check();
    const report = await watch.check();
    expect(asked).toEqual([]);
    expect(report.remedy).toMatch(/Kafka does not answer/);
  });

  it("asks Connect to restart the connector when no task holds the slot, and names the command when Connect is down", async () => {
    const up = scripted(stalledRun({ slotActive: false, slotHolderPid: null }), { kafka: true, connect: true });
    await up.watch.check();
    expect((await up.watch.check()).remedy).toMatch(/asked Kafka Connect to restart outbox-purchase/);
    expect(up.asked).toEqual(["restart connector"]);

    const down = scripted(stalledRun({ slotActive: false, slotHolderPid: null }), { kafka: true, connect: false });
    await down.watch.check();
    expect((await down.watch.check()).remedy).toMatch(/npm run stack -- up/);
  });

  it("gives a mended task twice as long each time before mending again, and reports a return to flowing", async () => {
    const stuck = { rowsWaiting: 7, oldestWaitingAt: -60_000 };
    const times = [0, 30_000, 35_000, 60_000, 89_999, 90_000];
    const { watch, asked, reports } = scripted([...times.map((t) => reading(t, stuck)), reading(95_000, { confirmedPosition: 900 })], {
      kafka: true,
      connect: true,
    });
    const remedies: number[] = [];
    for (let i = 0; i < 7; i++) {
      const before = asked.length;
      await watch.check();
      if (asked.length > before) remedies.push(i);
    }
    // Stalled at 30 s: mended; again only 60 s later (at 90 s), not at 60 s.
    expect(remedies).toEqual([1, 5]);
    expect(asked).toEqual(["release 4242", "release 4242"]);
    // A report at least every half minute, so readers can tell a quiet outbox from a silent reporter.
    expect(reports.map((r) => r.state)).toEqual(["backlogged", "stalled", "stalled", "stalled", "flowing"]);
    expect(reports.at(-1)?.remedy).toBeNull();
  });
});
