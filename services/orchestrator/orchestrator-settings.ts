/** The orchestrator's tunables, from the environment; a bad value stops it at startup rather than running on a default. */
import type { PurchaseSagaPolicy } from "./purchase-saga";

export interface OrchestratorSettings {
  policy: PurchaseSagaPolicy;
  /** How often this instance looks for sagas whose reply is overdue. */
  sweepIntervalMs: number;
}

/**
 * SAGA_STEP_{TIMEOUT_MS,MAX_ATTEMPTS,BACKOFF_MS} for forward steps,
 * SAGA_COMPENSATION_{TIMEOUT_MS,MAX_ATTEMPTS,BACKOFF_MS} for compensations,
 * SAGA_SWEEP_INTERVAL_MS for the deadline sweeper.
 */
export function readOrchestratorSettings(env: NodeJS.ProcessEnv = process.env): OrchestratorSettings {
  const setting = (name: string, fallback: number, min = 1) => integerSetting(env, name, fallback, min);
  return {
    policy: {
      step: {
        ms: setting("SAGA_STEP_TIMEOUT_MS", 10_000),
        maxAttempts: setting("SAGA_STEP_MAX_ATTEMPTS", 3),
        backoffMs: setting("SAGA_STEP_BACKOFF_MS", 5_000, 0),
      },
      compensation: {
        ms: setting("SAGA_COMPENSATION_TIMEOUT_MS", 10_000),
        maxAttempts: setting("SAGA_COMPENSATION_MAX_ATTEMPTS", 10),
        backoffMs: setting("SAGA_COMPENSATION_BACKOFF_MS", 10_000, 0),
      },
    },
    sweepIntervalMs: setting("SAGA_SWEEP_INTERVAL_MS", 1_000),
  };
}

function integerSetting(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) throw new Error(`${name} must be an integer of at least ${min}, got "${raw}"`);
  return value;
}
