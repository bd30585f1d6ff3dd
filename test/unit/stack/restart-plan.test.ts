/** The supervisor's restart rule: capped exponential backoff per crash streak, reset once a process stayed up. */
import { type RestartPolicy, describeExit, planRestart } from "../../../stack/supervisor";

const policy: RestartPolicy = { firstDelayMs: 500, maxDelayMs: 15_000, stableAfterMs: 30_000 };

test("the first exit waits the first delay, and each exit in a row doubles it", () => {
  const delays: number[] = [];
  let streak = 0;
  for (let i = 0; i < 6; i++) {
    const plan = planRestart(streak, 1_000, policy);
    streak = plan.crashStreak;
    delays.push(plan.delayMs);
  }
  expect(delays).toEqual([500, 1_000, 2_000, 4_000, 8_000, 15_000]);
  expect(streak).toBe(6);
});

test("the delay stays at the cap however long the streak", () => {
  expect(planRestart(40, 0, policy)).toEqual({ crashStreak: 41, delayMs: 15_000 });
  expect(planRestart(5_000, 0, policy)).toEqual({ crashStreak: 5_001, delayMs: 15_000 });
});

test("a process that stayed up long enough starts a new streak", () => {
  expect(planRestart(7, 30_000, policy)).toEqual({ crashStreak: 1, delayMs: 500 });
  expect(planRestart(7, 29_999, policy)).toEqual({ crashStreak: 8, delayMs: 15_000 });
});

test("the default policy is 0.5 s doubling to 15 s, reset after 30 s up", () => {
  expect(planRestart(0, 0)).toEqual({ crashStreak: 1, delayMs: 500 });
  expect(planRestart(4, 0)).toEqual({ crashStreak: 5, delayMs: 8_000 });
  expect(planRestart(9, 30_000)).toEqual({ crashStreak: 1, delayMs: 500 });
});

test("an exit reads as its signal when it has one, else its code", () => {
  expect(describeExit(null, "SIGKILL")).toBe("signal SIGKILL");
  expect(describeExit(1, null)).toBe("code 1");
});
