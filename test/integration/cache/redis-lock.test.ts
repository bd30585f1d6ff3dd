import type { Cluster } from "ioredis";
import { fillLockKeyFor, RedisLock } from "../../../lib/cache/redis-lock";
import { connectCluster, uniqueName } from "../../support/redis";
import { waitUntil } from "../../support/wait";

let redis: Cluster;
let locks: RedisLock;
const usedKeys: string[] = [];

function newKey(prefix: string): string {
  const key = uniqueName(prefix);
  usedKeys.push(key, fillLockKeyFor(key));
  return key;
}

beforeAll(() => {
  redis = connectCluster();
  locks = new RedisLock(redis);
});

afterAll(async () => {
  // Keys without a common hash tag live in different slots: one DEL each.
  for (const key of usedKeys) await redis.del(key);
  await redis.quit();
});

describe("redis lock", () => {
  it("is held by one caller at a time, with the requested expiry", async () => {
    const key = newKey("lock-test");
    const first = await locks.acquire(key, 30_000);
    expect(first).not.toBeNull();
    expect(await locks.acquire(key, 30_000)).toBeNull();
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30_000);
  });

  it("releases only with the holder's token", async () => {
    const key = newKey("lock-test");
    const holder = await locks.acquire(key, 30_000);
    if (!holder) throw new Error("lock not acquired");

    expect(await locks.release({ key, token: "someone-else" })).toBe(false);
    expect(await redis.get(key)).toBe(holder.token);
    expect(await locks.release(holder)).toBe(true);
    expect(await redis.exists(key)).toBe(0);
  });

  it("expires after its TTL, and the late holder's release leaves the new holder's lock alone", async () => {
    const key = newKey("lock-test");
    const expired = await locks.acquire(key, 100);
    if (!expired) throw new Error("lock not acquired");
    await waitUntil("the lock to expire", async () => (await redis.exists(key)) === 0);

    const current = await locks.acquire(key, 30_000);
    expect(current).not.toBeNull();
    expect(await locks.release(expired)).toBe(false);
    expect(await redis.get(key)).toBe(current?.token);
  });
});

describe("singleFlight", () => {
  it("calls the loader once for 50 concurrent callers of a cold key", async () => {
    const key = newKey("single-flight-test");
    let loaderCalls = 0;
    const loader = async () => {
      loaderCalls++;
      return { id: 7, name: "teapot" };
    };

    const results = await Promise.all(Array.from({ length: 50 }, () => locks.singleFlight(key, loader, { cacheTtlMs: 60_000, waitMs: 30_000 })));

    expect(loaderCalls).toBe(1);
    expect(results.every((result) => result.value.id === 7 && result.value.name === "teapot")).toBe(true);
    const sources = results.map((result) => result.source);
    expect(sources.filter((source) => source === "loader")).toHaveLength(1);
    expect(sources.filter((source) => source === "waited")).toHaveLength(49);
    expect(JSON.parse((await redis.get(key)) ?? "null")).toEqual({ id: 7, name: "teapot" });
    expect(await redis.exists(fillLockKeyFor(key))).toBe(0);
  });

  it("serves a warm key from the cache without loading", async () => {
    const key = newKey("single-flight-test");
    await redis.set(key, JSON.stringify(null), "PX", 60_000);
    const loader = jest.fn(async () => "loaded");

    const result = await locks.singleFlight<string | null>(key, loader, { cacheTtlMs: 60_000 });

    expect(result).toEqual({ value: null, source: "cache" });
    expect(loader).not.toHaveBeenCalled();
  });

  it("loads by itself, without caching, when the fill lock stays taken past waitMs", async () => {
    const key = newKey("single-flight-test");
    const stuck = await locks.acquire(fillLockKeyFor(key), 30_000);
    expect(stuck).not.toBeNull();

    const result = await locks.singleFlight(key, async () => "fresh", { cacheTtlMs: 60_000, waitMs: 50 });

    expect(result).toEqual({ value: "fresh", source: "fallback" });
    expect(await redis.exists(key)).toBe(0);
  });

  it("releases the fill lock when the loader fails, so the next caller can fill", async () => {
    const key = newKey("single-flight-test");
    const failing = locks.singleFlight(key, async () => Promise.reject(new Error("database down")), { cacheTtlMs: 60_000 });
    await expect(failing).rejects.toThrow("database down");
    expect(await redis.exists(fillLockKeyFor(key))).toBe(0);

    const result = await locks.singleFlight(key, async () => 42, { cacheTtlMs: 60_000 });
    expect(result).toEqual({ value: 42, source: "loader" });
    expect(await redis.get(key)).toBe("42");
  });
});
