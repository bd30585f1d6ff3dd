/** Waiting between tries of something that is retried without limit, and reporting it without flooding the log. */

export interface Backoff {
  /** The wait after the first failure; it doubles with each failure after that… */
  initialMs: number;
  /** …up to this. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 100, maxMs: 5_000 };

/** A failure that persists is logged again at most this often. */
export const DEFAULT_REPORT_INTERVAL_MS = 30_000;

/** The wait after the `failures`-th failure in a row (1-based). */
export function backoffDelay(failures: number, backoff: Backoff): number {
  // The exponent is capped so a long outage cannot overflow to Infinity.
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Says which failures of one retry loop deserve a log line: the first, then
 * at most one per `intervalMs`, so an outage of an hour logs a few dozen lines
 * per message rather than one per try.
 */
export function reportThrottle(intervalMs: number, now: () => number = Date.now): () => boolean {
  let last: number | undefined;
  return () => {
    const at = now();
    if (last !== undefined && at - last < intervalMs) return false;
    last = at;
    return true;
  };
}
