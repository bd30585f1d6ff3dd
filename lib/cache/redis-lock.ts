/**
 * A best-effort Redis lock (SET NX PX + a random token) and a cache-fill helper built on it.
 * The lock only cuts duplicate work (one node refills a cold key while the others wait): it can
 * expire mid-work or be unavailable, so nothing may rely on it for correctness.
 */
import { randomBytes } from "node:crypto";
import type { Cluster, Redis } from "ioredis";
import { LuaScript } from "./lua-script";

export interface Lock {
  readonly key: string;
  /** Proves ownership: only the holder knows it. */
  readonly token: string;
}

export interface SingleFlightOptions {
  /** How long a filled value stays cached. */
  readonly cacheTtlMs: number;
  /** Lock lifetime; should outlast a normal load. Default 5000. */
  readonly lockTtlMs?: number;
  /** How long a caller waits for another's fill before loading by itself. Default 1000. */
  readonly waitMs?: number;
}

/**
 * How a value was obtained: `cache` hit at once; `loader` this caller filled the cache;
 * `waited` another caller filled it; `fallback` waiting timed out and this caller loaded without caching.
 */
export type SingleFlightSource = "cache" | "loader" | "waited" | "fallback";

export interface SingleFlightResult<T> {
  readonly value: T;
  readonly source: SingleFlightSource;
}

/** KEYS: lock key. ARGV: token. Deletes the lock only while it is still ours. */
const RELEASE = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`);

const DEFAULT_LOCK_TTL_MS = 5_000;
const DEFAULT_WAIT_MS = 1_000;
const FIRST_POLL_DELAY_MS = 5;
const MAX_POLL_DELAY_MS = 100;

/** The lock guarding the refill of `cacheKey`. */
export function fillLockKeyFor(cacheKey: string): string {
  return `${cacheKey}:fill-lock`;
}

export class RedisLock {
  constructor(private readonly redis: Redis | Cluster) {}

  /** @returns the lock, or null if someone else holds `key`. */
  async acquire(key: string, ttlMs: number): Promise<Lock | null> {
    const token = randomBytes(16).toString("base64url");
    const reply = await this.redis.set(key, token, "PX", ttlMs, "NX");
    return reply === "OK" ? { key, token } : null;
  }

  /** @returns false if the lock had already expired (and perhaps been taken by someone else, whose lock stays). */
  async release(lock: Lock): Promise<boolean> {
    return (await RELEASE.run(this.redis, [lock.key], [lock.token])) === 1;
  }

  /**
   * Cache-aside read of a JSON value where, on a miss, one caller runs `loader` and caches its result
   * while concurrent callers poll the cache with growing delays. A caller that still has no value
   * after `waitMs` runs `loader` itself. `undefined` results are not cached.
   */
  async singleFlight<T>(cacheKey: string, loader: () => Promise<T>, options: SingleFlightOptions): Promise<SingleFlightResult<T>> {
    const cached = await this.readCache<T>(cacheKey);
    if (cached.hit) return { value: cached.value, source: "cache" };

    const lockKey = fillLockKeyFor(cacheKey);
    const lockTtlMs = options.lockTtlMs ?? DEFAULT_LOCK_TTL_MS;
    const deadline = Date.now() + (options.waitMs ?? DEFAULT_WAIT_MS);
    let delayMs = FIRST_POLL_DELAY_MS;
    for (let attempt = 0; ; attempt++) {
      const lock = await this.acquire(lockKey, lockTtlMs);
      if (lock) {
        try {
          // Someone may have filled the key between our read and our lock.
          const filled = await this.readCache<T>(cacheKey);
          if (filled.hit) return { value: filled.value, source: attempt === 0 ? "cache" : "waited" };
          const value = await loader();
          if (value !== undefined) await this.redis.set(cacheKey, JSON.stringify(value), "PX", options.cacheTtlMs);
          return { value, source: "loader" };
        } finally {
          await this.release(lock);
        }
      }
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0) return { value: await loader(), source: "fallback" };
      // Jitter spreads the waiters' polls instead of having them all hit Redis in step.
      await delay(Math.min(remainingMs, delayMs * (0.5 + Math.random() / 2)));
      delayMs = Math.min(delayMs * 2, MAX_POLL_DELAY_MS);
      const polled = await this.readCache<T>(cacheKey);
      if (polled.hit) return { value: polled.value, source: "waited" };
    }
  }

  private async readCache<T>(cacheKey: string): Promise<{ hit: true; value: T } | { hit: false }> {
    const raw = await this.redis.get(cacheKey);
    return raw === null ? { hit: false } : { hit: true, value: JSON.parse(raw) as T };
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
