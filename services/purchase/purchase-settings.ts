/** The purchase service's tunables, from the environment; a bad value stops it at startup rather than running on a default. */
import { integerSetting } from "../../lib/settings/settings";

export interface PurchaseSettings {
  /** A purchase PENDING longer than this has its PurchaseCreated re-published, at most once per this interval. */
  pendingRepublishMs: number;
}

/** PURCHASE_PENDING_REPUBLISH_MS (default 2 minutes; at least a second, so purchases merely in flight are left alone). */
export function readPurchaseSettings(env: NodeJS.ProcessEnv = process.env): PurchaseSettings {
  return { pendingRepublishMs: integerSetting(env, "PURCHASE_PENDING_REPUBLISH_MS", 120_000, 1_000) };
}
