/** The orchestrator's tunables, from the environment; a bad value stops it at startup rather than running on a default. */
import type { RetryBudget } from "../../lib/saga/definition";
import { integerSetting } from "../../lib/settings/settings";
import type { PurchaseSagaPolicy } from "./purchase-saga";

export interface OrchestratorSettings {
  policy: PurchaseSagaPolicy;
  /** How often this instance looks for sagas whose reply is overdue. */
  sweepIntervalMs: number;
  /** How long past its deadline a step may wait on a participant that has not read its queue (busy, or down). */
  maxPostponeMs: number;
  /** How often the sweeper samples the queues (Kafka, Connect) while no deadline is due; every sweep while one is. */
  probeIdleEveryMs: number;
  /** How long an ended saga and its log are kept; the purchase service keeps the purchase's outcome for good. */
  retentionDays: number;
}

/** Re-sends of sagas started together spread over up to a fifth more of their wait. */
const RETRY_JITTER = 0.2;

/**
 * SAGA_{STEP,RETRIABLE,COMPENSATION}_{TIMEOUT_MS,MAX_ATTEMPTS,BACKOFF_MS,MAX_WAIT_MS}
 * for forward steps up to the pivot, retriable steps after it and compensations;
 * SAGA_SWEEP_INTERVAL_MS for the deadline sweeper; SAGA_DEADLINE_MAX_POSTPONE_MS
 * for how long a queue's backlog may hold a deadline back; SAGA_QUEUE_SAMPLE_IDLE_MS
 * for how often the queues are sampled while no deadline is due; SAGA_RETENTION_DAYS
 * for how long ended sagas are kept.
 */
export function readOrchestratorSettings(env: NodeJS.ProcessEnv = process.env): OrchestratorSettings {
  const setting = (name: string, fallback: number, min = 1) => integerSetting(env, name, fallback, min);
  const budget = (prefix: string, defaults: Required<Omit<RetryBudget, "jitter">>): RetryBudget => {
    const ms = setting(`${prefix}_TIMEOUT_MS`, defaults.ms);
    return {
      ms,
      maxAttempts: setting(`${prefix}_MAX_ATTEMPTS`, defaults.maxAttempts),
      backoffMs: setting(`${prefix}_BACKOFF_MS`, defaults.backoffMs, 0),
      maxWaitMs: setting(`${prefix}_MAX_WAIT_MS`, Math.max(defaults.maxWaitMs, ms), ms),
      jitter: RETRY_JITTER,
    };
  };
  return {
    policy: {
      step: budget("SAGA_STEP", { ms: 10_000, maxAttempts: 3, backoffMs: 5_000, maxWaitMs: 60_000 }),
      retriable: budget("SAGA_RETRIABLE", { ms: 10_000, maxAttempts: 10, backoffMs: 5_000, maxWaitMs: 60_000 }),
      compensation: budget("SAGA_COMPENSATION", { ms: 10_000, maxAttempts: 10, backoffMs: 10_000, maxWaitMs: 120_000 }),
    },
    sweepIntervalMs: setting("SAGA_SWEEP_INTERVAL_MS", 1_000),
    maxPostponeMs: setting("SAGA_DEADLINE_MAX_POSTPONE_MS", 600_000, 0),
    probeIdleEveryMs: setting("SAGA_QUEUE_SAMPLE_IDLE_MS", 15_000),
    retentionDays: setting("SAGA_RETENTION_DAYS", 30),
  };
}
