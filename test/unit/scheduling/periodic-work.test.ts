import { PeriodicWork } from "../../../lib/scheduling/periodic-work";

/** A run that stays in progress until its test lets it end. */
function heldRuns() {
  const releases: (() => void)[] = [];
  let started = 0;
  const work = () => {
    started++;
    return new Promise<void>((resolve) => releases.push(resolve));
  };
  return { work, started: () => started, releaseNext: () => releases.shift()?.() };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test("a run is timed from the end of the last: runs never overlap", async () => {
  const runs = heldRuns();
  const schedule = new PeriodicWork(1_000, runs.work, () => undefined);
  schedule.start();
  await jest.advanceTimersByTimeAsync(1_000);
  expect(runs.started()).toBe(1);
  // The first run is still in progress: however long that lasts, no second one starts.
  await jest.advanceTimersByTimeAsync(10_000);
  expect(runs.started()).toBe(1);
  runs.releaseNext();
  await jest.advanceTimersByTimeAsync(1_000);
  expect(runs.started()).toBe(2);
  runs.releaseNext();
  await schedule.stop();
});

test("stop() waits for the run in progress and cancels the next", async () => {
  const runs = heldRuns();
  const schedule = new PeriodicWork(1_000, runs.work, () => undefined);
  schedule.start();
  await jest.advanceTimersByTimeAsync(1_000);
  let stopped = false;
  const stopping = schedule.stop().then(() => (stopped = true));
  await jest.advanceTimersByTimeAsync(0);
  expect(stopped).toBe(false);
  runs.releaseNext();
  await stopping;
  await jest.advanceTimersByTimeAsync(5_000);
  expect(runs.started()).toBe(1);
});

test("a failed run is reported and the schedule goes on", async () => {
  const errors: unknown[] = [];
  let calls = 0;
  const schedule = new PeriodicWork(
    1_000,
    async () => {
      calls++;
      if (calls === 1) throw new Error("database away");
    },
    (error) => errors.push(error),
  );
  schedule.start();
  await jest.advanceTimersByTimeAsync(2_000);
  expect(errors).toEqual([new Error("database away")]);
  expect(calls).toBe(2);
  await schedule.stop();
});

test("start() twice keeps one schedule", async () => {
  let calls = 0;
  const schedule = new PeriodicWork(
    1_000,
    async () => void calls++,
    () => undefined,
  );
  schedule.start();
  schedule.start();
  await jest.advanceTimersByTimeAsync(1_000);
  expect(calls).toBe(1);
  await schedule.stop();
});

test("the first run comes when asked, but never later than an interval", async () => {
  let calls = 0;
  const count = async () => void calls++;
  const soon = new PeriodicWork(10_000, count, () => undefined);
  soon.start(1_000);
  await jest.advanceTimersByTimeAsync(1_000);
  expect(calls).toBe(1);
  await soon.stop();
  const capped = new PeriodicWork(500, count, () => undefined);
  capped.start(60_000);
  await jest.advanceTimersByTimeAsync(500);
  expect(calls).toBe(2);
  await capped.stop();
});
