import { readOrchestratorSettings } from "../../../services/orchestrator/orchestrator-settings";

describe("readOrchestratorSettings", () => {
  it("defaults to a 10 s reply deadline, a few forward re-sends, longer budgets after the pivot and for compensations, a 1 s sweep, 30 days of ended sagas", () => {
    expect(readOrchestratorSettings({})).toEqual({
      policy: {
        step: { ms: 10_000, maxAttempts: 3, backoffMs: 5_000, maxWaitMs: 60_000, jitter: 0.2 },
        retriable: { ms: 10_000, maxAttempts: 10, backoffMs: 5_000, maxWaitMs: 60_000, jitter: 0.2 },
        compensation: { ms: 10_000, maxAttempts: 10, backoffMs: 10_000, maxWaitMs: 120_000, jitter: 0.2 },
      },
      sweepIntervalMs: 1_000,
      maxPostponeMs: 600_000,
      probeIdleEveryMs: 15_000,
      retentionDays: 30,
    });
  });

  it("takes every value from the environment", () => {
    const settings = readOrchestratorSettings({
      SAGA_STEP_TIMEOUT_MS: "1500",
      SAGA_STEP_MAX_ATTEMPTS: "1",
      SAGA_STEP_BACKOFF_MS: "0",
      SAGA_COMPENSATION_TIMEOUT_MS: "2000",
      SAGA_COMPENSATION_MAX_ATTEMPTS: "4",
      SAGA_COMPENSATION_BACKOFF_MS: "250",
      SAGA_COMPENSATION_MAX_WAIT_MS: "3000",
      SAGA_RETRIABLE_TIMEOUT_MS: "700",
      SAGA_RETRIABLE_MAX_ATTEMPTS: "5",
      SAGA_RETRIABLE_BACKOFF_MS: "100",
      SAGA_RETRIABLE_MAX_WAIT_MS: "900",
      SAGA_SWEEP_INTERVAL_MS: "100",
      SAGA_DEADLINE_MAX_POSTPONE_MS: "0",
      SAGA_QUEUE_SAMPLE_IDLE_MS: "2000",
      SAGA_RETENTION_DAYS: "90",
    });
    expect(settings).toEqual({
      policy: {
        step: { ms: 1_500, maxAttempts: 1, backoffMs: 0, maxWaitMs: 60_000, jitter: 0.2 },
        retriable: { ms: 700, maxAttempts: 5, backoffMs: 100, maxWaitMs: 900, jitter: 0.2 },
        compensation: { ms: 2_000, maxAttempts: 4, backoffMs: 250, maxWaitMs: 3_000, jitter: 0.2 },
      },
      sweepIntervalMs: 100,
      maxPostponeMs: 0,
      probeIdleEveryMs: 2_000,
      retentionDays: 90,
    });
  });

  it.each([
    ["SAGA_STEP_TIMEOUT_MS", "0"],
    ["SAGA_STEP_MAX_ATTEMPTS", "2.5"],
    ["SAGA_COMPENSATION_BACKOFF_MS", "-1"],
    ["SAGA_SWEEP_INTERVAL_MS", "soon"],
    ["SAGA_RETRIABLE_MAX_WAIT_MS", "10"],
    ["SAGA_DEADLINE_MAX_POSTPONE_MS", "-5"],
    ["SAGA_QUEUE_SAMPLE_IDLE_MS", "0"],
    ["SAGA_RETENTION_DAYS", "0"],
  ])("refuses %s=%s rather than run on a guess", (name, value) => {
    expect(() => readOrchestratorSettings({ [name]: value })).toThrow(name);
  });
});
