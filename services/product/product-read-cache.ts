/**
 * The product read path on Redis Cluster:
 * - a cuckoo filter of every product id answers "no such product" without
 *   touching Postgres (cache penetration);
 * - product details are cache-aside, and a cold key is filled by one caller
 *   under a lock while the others wait for it (cache stampede);
 * - lists live in one Redis hash that every catalog write deletes.
 * Redis is an optimisation only: any Redis failure falls back to Postgres.
 */
import type { Cluster } from "ioredis";
import type { LoggerInstance } from "moleculer";
import { CuckooFilter, type CuckooFilterStats } from "../../lib/cache/cuckoo-filter";
import { RedisLock } from "../../lib/cache/redis-lock";

export interface ProductReadCacheOptions {
  detailTtlMs: number;
  listTtlMs: number;
  filterCapacity: number;
  filterFalsePositiveRate: number;
}

/** How a read by id was answered (see SHOP_METRICS.productReads). */
export type ProductReadOutcome = "hit" | "waited" | "miss" | "fallback" | "absent";

const SOURCE_OUTCOMES = { cache: "hit", waited: "waited", loader: "miss", fallback: "fallback" } as const;

const detailKey = (id: number) => `product:{${id}}`;
const LISTS_KEY = "{catalog}:lists";
// A reader that loaded a row just before a write's commit may cache it just after the write's
// delete; deleting once more a moment later bounds that window.
const SECOND_DELETE_AFTER_MS = 500;

export class ProductReadCache {
  readonly filter: CuckooFilter;
  private readonly lock: RedisLock;

  constructor(
    private readonly redis: Cluster,
    private readonly logger: LoggerInstance,
    private readonly options: ProductReadCacheOptions,
    private readonly countRead: (outcome: ProductReadOutcome) => void = () => undefined,
  ) {
    this.filter = new CuckooFilter(redis, { name: "products", capacity: options.filterCapacity, targetFalsePositiveRate: options.filterFalsePositiveRate });
    this.lock = new RedisLock(redis);
  }

  /** The product, or null when it does not exist; `load` reads Postgres. */
  async getDetail<T>(id: number, load: () => Promise<T | null>): Promise<T | null> {
    try {
      if (!(await this.filter.mightContain(String(id)))) {
        this.countRead("absent");
        return null;
      }
      const { value, source } = await this.lock.singleFlight(detailKey(id), load, { cacheTtlMs: this.options.detailTtlMs, waitMs: 2_000 });
      this.countRead(SOURCE_OUTCOMES[source]);
      return value;
    } catch (error) {
      this.logger.warn(`product cache unavailable, reading Postgres: ${(error as Error).message}`);
      this.countRead("fallback");
      return load();
    }
  }

  async getList<T>(field: string, load: () => Promise<T>): Promise<T> {
    try {
      const cached = await this.redis.hget(LISTS_KEY, field);
      if (cached !== null) return JSON.parse(cached) as T;
    } catch (error) {
      this.logger.warn(`list cache unavailable, reading Postgres: ${(error as Error).message}`);
      return load();
    }
    const value = await load();
    await this.redis
      .multi()
      .hset(LISTS_KEY, field, JSON.stringify(value))
      .pexpire(LISTS_KEY, this.options.listTtlMs)
      .exec()
      .catch((error: Error) => this.logger.warn(`could not cache list: ${error.message}`));
    return value;
  }

  /** After a committed catalog write: drop what it made stale. */
  async invalidate(productIds: number[]): Promise<void> {
    const drop = () => Promise.all([...productIds.map((id) => this.redis.del(detailKey(id))), this.redis.del(LISTS_KEY)]);
    await drop().catch((error: Error) => this.logger.warn(`cache invalidation failed (entries expire by TTL): ${error.message}`));
    setTimeout(() => void drop().catch(() => undefined), SECOND_DELETE_AFTER_MS).unref();
  }

  /** After a product's insert commits. A failure here is repaired by the ProductCreated consumer. */
  async addToFilter(id: number): Promise<void> {
    const key = String(id);
    // Adding only when absent keeps the add idempotent: a present fingerprint already answers "maybe" for this id.
    if (!(await this.filter.mightContain(key))) await this.filter.add(key);
  }

  async rebuildFilter(ids: AsyncIterable<string[]>): Promise<number> {
    return this.filter.rebuild(ids);
  }

  filterStats(): Promise<CuckooFilterStats> {
    return this.filter.stats();
  }
}
