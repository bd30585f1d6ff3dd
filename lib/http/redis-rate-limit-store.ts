/**
 * A moleculer-web rate-limit store on Redis, so the limit holds across every
 * gateway instance. Fixed windows: one counter per client and window, created
 * with its expiry in the same script so a crash never leaves an immortal key.
 * When Redis cannot answer in time the request is refused with a 503 (retry
 * shortly), never let through uncounted and never answered with a 500.
 */
import { Errors } from "moleculer";

const INCREMENT_IN_WINDOW = `
local count = redis.call("INCR", KEYS[1])
if count == 1 then redis.call("PEXPIRE", KEYS[1], ARGV[1]) end
return count`;

export interface RateLimitStore {
  resetTime: number;
  inc(key: string): Promise<number>;
}

/** What the store needs of a Redis client (ioredis' Redis and Cluster both fit). */
export interface ScriptRunner {
  eval(script: string, numberOfKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
}

/** Returns a StoreFactory class for moleculer-web's `rateLimit.StoreFactory`. */
export function redisRateLimitStore(client: ScriptRunner, prefix: string) {
  return class RedisRateLimitStore implements RateLimitStore {
    resetTime = 0;
    constructor(private readonly windowMs: number) {}

    async inc(clientKey: string): Promise<number> {
      const window = Math.floor(Date.now() / this.windowMs);
      this.resetTime = (window + 1) * this.windowMs;
      // The hash tag keeps each key on one slot; keys spread over the cluster by client.
      const key = `${prefix}:{${clientKey}}:${window}`;
      try {
        return Number(await client.eval(INCREMENT_IN_WINDOW, 1, key, String(this.windowMs)));
      } catch (error) {
        throw new Errors.MoleculerRetryableError(`The rate limit could not be counted: ${(error as Error).message}`, 503, "SERVICE_UNAVAILABLE");
      }
    }
  };
}
