/** The purchase service's tunables, from the environment; a bad value stops it at startup rather than running on a default. */

export interface PurchaseSettings {
  /** A purchase PENDING longer than this has its PurchaseCreated re-published, at most once per this interval. */
  pendingRepublishMs: number;
}

/** PURCHASE_PENDING_REPUBLISH_MS (default 2 minutes; at least a second, so purchases merely in flight are left alone). */
export function readPurchaseSettings(env: NodeJS.ProcessEnv = process.env): PurchaseSettings {
  return { pendingRepublishMs: integerSetting(env, "PURCHASE_PENDING_REPUBLISH_MS", 120_000, 1_000) };
}

function integerSetting(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) throw new Error(`${name} must be an integer of at least ${min}, got "${raw}"`);
  return value;
}
