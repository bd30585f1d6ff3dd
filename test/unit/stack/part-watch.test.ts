import { PartWatch } from "../../../stack/part-watch";
import type { PartStatus, StackPart } from "../../../stack/parts/part";

/** A part whose health the test sets, counting the `up()` calls. */
function fakePart(name: string) {
  const state = { status: { healthy: true, detail: "fine" } as PartStatus, ups: 0 };
  const part: StackPart = {
    name,
    logFile: `/tmp/${name}.log`,
    up: async () => {
      state.ups += 1;
    },
    down: async () => undefined,
    status: async () => state.status,
  };
  return { part, state };
}

/** Runs the watch's timer by hand. */
function watching(part: StackPart, restart: boolean) {
  jest.useFakeTimers();
  const lines: string[] = [];
  const watch = new PartWatch([part], { intervalMs: 1_000, restart, report: (m) => lines.push(m) });
  watch.start();
  const tick = async (ms = 1_000) => {
    await jest.advanceTimersByTimeAsync(ms);
  };
  return { watch, lines, tick };
}

afterEach(() => jest.useRealTimers());

describe("PartWatch", () => {
  it("says loudly when a part fails, with the command that heals it, restarts it with backoff, and says when it is back", async () => {
    const { part, state } = fakePart("kafka");
    const { watch, lines, tick } = watching(part, true);
    await tick();
    expect(lines).toEqual([]);
    state.status = { healthy: false, detail: "not running" };
    await tick();
    expect(lines[0]).toMatch(/^!! kafka UNHEALTHY: not running; restarting it \(by hand: npm run stack -- up/);
    expect(state.ups).toBe(1);
    // Backoff: 0.5 s, then 1 s, 2 s… between tries, never more than one try per look.
    await tick();
    await tick();
    await tick();
    expect(state.ups).toBeGreaterThanOrEqual(2);
    expect(state.ups).toBeLessThanOrEqual(4);
    state.status = { healthy: true, detail: "broker on 127.0.0.1:19092" };
    await tick();
    expect(lines.at(-1)).toBe("kafka is healthy again: broker on 127.0.0.1:19092");
    watch.stop();
  });

  it("only says it when told not to restart", async () => {
    const { part, state } = fakePart("connect");
    const { watch, lines, tick } = watching(part, false);
    state.status = { healthy: false, detail: "connectors RUNNING but not streaming" };
    await tick();
    await tick();
    expect(lines).toEqual([expect.stringMatching(/^!! connect UNHEALTHY: .*STACK_PART_RESTART=off: not restarting it/)]);
    expect(state.ups).toBe(0);
    watch.stop();
  });
});
