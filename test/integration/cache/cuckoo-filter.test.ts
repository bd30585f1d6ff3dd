import type { Cluster } from "ioredis";
import { CuckooFilter, type CuckooFilterConfig, CuckooFilterFullError, CuckooRebuildConflictError } from "../../../lib/cache/cuckoo-filter";
import { expectedFalsePositiveRate, fingerprintBitsFor } from "../../../lib/cache/cuckoo-math";
import { connectCluster, uniqueName } from "../../support/redis";
import { waitUntil } from "../../support/wait";

let redis: Cluster;
const filterNames: string[] = [];

function newFilter(config: Omit<CuckooFilterConfig, "name">, name = uniqueName("cf-test")): CuckooFilter {
  filterNames.push(name);
  return new CuckooFilter(redis, { ...config, name });
}

function ids(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, n) => `${prefix}-${n}`);
}

async function* pagesOf(all: readonly string[], pageSize: number): AsyncGenerator<string[]> {
  for (let start = 0; start < all.length; start += pageSize) yield all.slice(start, start + pageSize);
}

beforeAll(() => {
  redis = connectCluster();
});

afterAll(async () => {
  for (const name of filterNames) {
    const tag = `{cf:${name}}`;
    await redis.del(`${tag}:meta`, `${tag}:slots`, `${tag}:next:meta`, `${tag}:next:slots`);
  }
  await redis.quit();
});

describe("cuckoo filter on Redis Cluster", () => {
  it("has no false negatives over 10,000 ids added one by one, and counts them", async () => {
    const filter = newFilter({ capacity: 10_000 });
    await filter.rebuild([]);
    const products = ids("product", 10_000);
    for (let start = 0; start < products.length; start += 200) {
      await Promise.all(products.slice(start, start + 200).map((id) => filter.add(id)));
    }

    const answers = await filter.mightContainMany(products);
    expect(products.filter((_, n) => !answers[n])).toEqual([]);
    expect(await filter.mightContain(products[1234])).toBe(true);
    expect((await filter.stats()).items).toBe(10_000);
  });

  it("keeps the measured false-positive rate on 10,000 absent ids within the configured bound", async () => {
    const targetFalsePositiveRate = 0.01;
    const filter = newFilter({ capacity: 10_000, targetFalsePositiveRate });
    const products = ids("product", 10_000);
    expect(await filter.rebuild(pagesOf(products, 1_000))).toBe(10_000);

    const present = await filter.mightContainMany(products);
    expect(present.every(Boolean)).toBe(true);

    const stats = await filter.stats();
    const absent = ids("absent", 10_000);
    const falsePositives = (await filter.mightContainMany(absent)).filter(Boolean).length;
    const measuredRate = falsePositives / absent.length;
    expect(measuredRate).toBeLessThanOrEqual(targetFalsePositiveRate);
    expect(measuredRate).toBeLessThanOrEqual(stats.falsePositiveBound);
  });

  it("reports its geometry, load and expected false-positive rate", async () => {
    const filter = newFilter({ capacity: 5_000, targetFalsePositiveRate: 0.001, maxKicks: 200 });
    await filter.rebuild(ids("item", 3_000));

    const stats = await filter.stats();
    const fingerprintBits = fingerprintBitsFor(4, 0.001);
    // 5,000 / (4 × 0.9) = 1,389 buckets, rounded up to 2,048.
    expect(stats).toEqual({
      name: expect.any(String),
      ready: true,
      rebuilding: false,
      bucketCount: 2048,
      bucketSize: 4,
      fingerprintBits,
      capacity: 8192,
      items: 3_000,
      loadFactor: 3_000 / 8192,
      falsePositiveRate: expectedFalsePositiveRate(4, fingerprintBits, 3_000 / 8192),
      falsePositiveBound: 8 / (2 ** fingerprintBits - 1),
    });
  });

  it("removes an id it holds and leaves the others", async () => {
    const filter = newFilter({ capacity: 10_000 });
    const products = ids("product", 100);
    await filter.rebuild(products);

    expect(await filter.remove("product-42")).toBe(true);
    expect(await filter.mightContain("product-42")).toBe(false);
    expect(await filter.remove("product-42")).toBe(false);
    const others = products.filter((id) => id !== "product-42");
    expect((await filter.mightContainMany(others)).every(Boolean)).toBe(true);
    expect((await filter.stats()).items).toBe(99);
  });

  it("rebuilds into fresh keys while readers keep the old table, then swaps in one step", async () => {
    const filter = newFilter({ capacity: 10_000 });
    const before = [...ids("old", 1_000), "kept"];
    const after = [...ids("new", 999), "kept"]; // four pages of 250
    await filter.rebuild(before);

    // A reader polling throughout the rebuild must always find an id that is in both tables.
    let rebuilding = true;
    const readerAnswers: boolean[] = [];
    const reader = (async () => {
      while (rebuilding) readerAnswers.push(await filter.mightContain("kept"));
    })();

    const observedMidway: { items: number; rebuilding: boolean; oldIdsFound: boolean }[] = [];
    async function* newIdsWhileObserving(): AsyncGenerator<string[]> {
      for await (const page of pagesOf(after, 250)) {
        yield page;
        const stats = await filter.stats();
        const oldIdsFound = (await filter.mightContainMany(before)).every(Boolean);
        observedMidway.push({ items: stats.items, rebuilding: stats.rebuilding, oldIdsFound });
        if (observedMidway.length === 2) await filter.add("added-during-rebuild");
      }
    }
    const inserted = await filter.rebuild(newIdsWhileObserving());
    rebuilding = false;
    await reader;

    expect(inserted).toBe(after.length);
    // Old table served throughout (+1 once "added-during-rebuild" went into it as well as the new one).
    expect(observedMidway).toEqual([
      { items: before.length, rebuilding: true, oldIdsFound: true },
      { items: before.length, rebuilding: true, oldIdsFound: true },
      { items: before.length + 1, rebuilding: true, oldIdsFound: true },
      { items: before.length + 1, rebuilding: true, oldIdsFound: true },
    ]);
    expect(readerAnswers.length).toBeGreaterThan(0);
    expect(readerAnswers.every(Boolean)).toBe(true);

    const stats = await filter.stats();
    expect(stats).toMatchObject({ ready: true, rebuilding: false, items: after.length + 1 });
    expect((await filter.mightContainMany([...after, "added-during-rebuild"])).every(Boolean)).toBe(true);
    const oldOnly = before.filter((id) => id !== "kept");
    const staleHits = (await filter.mightContainMany(oldOnly)).filter(Boolean).length;
    expect(staleHits / oldOnly.length).toBeLessThanOrEqual(stats.falsePositiveBound);
    const tag = `{cf:${stats.name}}`;
    expect(await redis.exists(`${tag}:next:meta`, `${tag}:next:slots`)).toBe(0);
  });

  it("refuses a second rebuild while one is running", async () => {
    const filter = newFilter({ capacity: 1_000 });
    let releaseFirst!: () => void;
    const firstMayFinish = new Promise<void>((resolve) => (releaseFirst = resolve));
    async function* slowIds(): AsyncGenerator<string[]> {
      yield ids("first", 10);
      await firstMayFinish;
    }
    const first = filter.rebuild(slowIds());
    await waitUntil("the rebuild to start", async () => (await filter.stats()).rebuilding);

    await expect(filter.rebuild(ids("second", 10))).rejects.toBeInstanceOf(CuckooRebuildConflictError);
    releaseFirst();
    expect(await first).toBe(10);
    expect((await filter.mightContainMany(ids("first", 10))).every(Boolean)).toBe(true);
  });

  it("rejects an id it has no room for without losing any it holds", async () => {
    const filter = newFilter({ capacity: 200 });
    await filter.rebuild([]);
    const added: string[] = [];
    let failure: unknown;
    for (let n = 0; failure === undefined && n < 1_000; n++) {
      try {
        await filter.add(`crowded-${n}`);
        added.push(`crowded-${n}`);
      } catch (error) {
        failure = error;
      }
    }

    expect(failure).toBeInstanceOf(CuckooFilterFullError);
    expect((failure as CuckooFilterFullError).id).toBe(`crowded-${added.length}`);
    const stats = await filter.stats();
    expect(stats.items).toBe(added.length);
    // Filled well past the 90% sizing target before giving up: relocations did their job.
    expect(stats.loadFactor).toBeGreaterThan(0.9);
    const answers = await filter.mightContainMany(added);
    expect(added.filter((_, n) => !answers[n])).toEqual([]);
  });

  it("fails a rebuild with more ids than room, leaving the live table untouched", async () => {
    const filter = newFilter({ capacity: 200 });
    await filter.rebuild(ids("fits", 100));

    await expect(filter.rebuild(ids("overflow", 1_000))).rejects.toBeInstanceOf(CuckooFilterFullError);
    const stats = await filter.stats();
    expect(stats).toMatchObject({ ready: true, rebuilding: false, items: 100 });
    expect((await filter.mightContainMany(ids("fits", 100))).every(Boolean)).toBe(true);
  });

  it("answers 'might contain' until a table of its geometry has been built", async () => {
    const name = uniqueName("cf-test");
    const neverBuilt = newFilter({ capacity: 1_000 }, name);
    expect(await neverBuilt.mightContain("anything")).toBe(true);
    await neverBuilt.add("ignored-before-build");
    expect(await neverBuilt.stats()).toMatchObject({ ready: false, items: 0 });
    expect(await redis.exists(`{cf:${name}}:meta`, `{cf:${name}}:slots`)).toBe(0);

    await neverBuilt.rebuild(["built"]);
    expect(await neverBuilt.mightContain("anything")).toBe(false);
    // Same keys, other geometry (e.g. a config change before its rebuild): not usable, so fail open.
    const reconfigured = newFilter({ capacity: 1_000, fingerprintBits: 16 }, name);
    expect((await reconfigured.stats()).ready).toBe(false);
    expect(await reconfigured.mightContain("anything")).toBe(true);
  });
});
