/**
 * A cuckoo filter on plain Redis 7 (no RedisBloom), safe on Redis Cluster.
 *
 * Keys, all under the hash tag `{cf:<name>}` so every script touches one slot:
 *   `:slots`       the table, a string read and written with BITFIELD as unsigned `f`-bit integers,
 *                  one per slot (bucket i, slot j at position i·b + j). A string packs fingerprints at
 *                  their exact width (a hash would cost tens of bytes per bucket), and zero bytes
 *                  mean "empty", which is why a fingerprint is never 0.
 *   `:meta`        a hash: the table's geometry and its item count.
 *   `:next:slots`, `:next:meta`   a rebuild in progress (its meta also holds the builder's token and
 *                  expires unless the builder keeps going); published by RENAME, atomically.
 *
 * Hashing: ids are hashed in TypeScript only (MurmurHash3 x86-32 of the UTF-8 bytes, see cuckoo-math.ts);
 * scripts receive fingerprint and both bucket indexes as numbers. Relocating a fingerprint needs its
 * alternate bucket inside Lua, so `fmix32`/`alternateIndex` exist in both languages, identically.
 *
 * Until a filter of the configured geometry has been built, lookups answer "might contain" (fail open):
 * callers then go to the database, which is slower but never wrong.
 */
import { randomUUID } from "node:crypto";
import type { Cluster, Redis } from "ioredis";
import {
  expectedFalsePositiveRate,
  falsePositiveBound,
  type FilterGeometry,
  type ItemPosition,
  planGeometry,
  positionOf,
  type SizingInput,
} from "./cuckoo-math";
import { LuaScript } from "./lua-script";

export interface CuckooFilterConfig extends SizingInput {
  /** Names the key family `{cf:<name>}`. */
  readonly name: string;
  /** Relocations tried before an insert is reported as failed. */
  readonly maxKicks?: number;
}

export interface CuckooFilterStats {
  readonly name: string;
  /** False until a rebuild has published a table of the configured geometry (lookups fail open meanwhile). */
  readonly ready: boolean;
  readonly rebuilding: boolean;
  readonly bucketCount: number;
  readonly bucketSize: number;
  readonly fingerprintBits: number;
  /** Slots in the table: the most items it can ever hold. */
  readonly capacity: number;
  readonly items: number;
  /** items / capacity. */
  readonly loadFactor: number;
  /** Expected false-positive rate at the current load. */
  readonly falsePositiveRate: number;
  /** False-positive rate if every slot were full. */
  readonly falsePositiveBound: number;
}

/** The table had no room for an id after `maxKicks` relocations; nothing already stored was lost. */
export class CuckooFilterFullError extends Error {
  constructor(
    readonly filter: string,
    readonly id: string,
  ) {
    super(`cuckoo filter "${filter}" is full: could not insert "${id}"; rebuild it with a larger capacity`);
    this.name = "CuckooFilterFullError";
  }
}

/** Another rebuild holds the build keys, or this rebuild's lease on them ran out. */
export class CuckooRebuildConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CuckooRebuildConflictError";
  }
}

export const DEFAULT_MAX_KICKS = 500;
/** Ids per script call: keeps each script (which blocks its Redis node) to a few milliseconds. */
const BATCH_SIZE = 500;
/** A rebuild's keys expire if its builder stops for this long (crash); every batch renews it. */
const REBUILD_LEASE_MS = 60_000;

// ARGV[1..3] of every script below that includes it: bucketCount, bucketSize, fingerprintBits.
const LUA_TABLE = `
local TWO_POW_32 = 4294967296
local bucketCount = tonumber(ARGV[1])
local bucketSize = tonumber(ARGV[2])
local fingerprintType = 'u' .. ARGV[3]

-- a * b mod 2^32, exact in Lua's doubles because every partial product stays below 2^53.
local function mul32(a, b)
  local aLow = a % 65536
  local aHigh = (a - aLow) / 65536
  return (aLow * b + ((aHigh * b) % 65536) * 65536) % TWO_POW_32
end

-- fmix32 of cuckoo-math.ts; LuaBitOp answers signed 32-bit integers, hence "% 2^32".
local function fmix32(h)
  h = bit.bxor(h, bit.rshift(h, 16)) % TWO_POW_32
  h = mul32(h, 0x85ebca6b)
  h = bit.bxor(h, bit.rshift(h, 13)) % TWO_POW_32
  h = mul32(h, 0xc2b2ae35)
  return bit.bxor(h, bit.rshift(h, 16)) % TWO_POW_32
end

local function alternateIndex(index, fingerprint)
  return bit.bxor(index, fmix32(fingerprint) % bucketCount) % TWO_POW_32
end

-- A table built with another geometry is unusable: its fingerprints and buckets mean something else.
local function hasGeometry(metaKey)
  local g = redis.call('HMGET', metaKey, 'bucketCount', 'bucketSize', 'fingerprintBits')
  return g[1] == ARGV[1] and g[2] == ARGV[2] and g[3] == ARGV[3]
end

local function slotOffset(index, slot)
  return '#' .. (index * bucketSize + slot)
end

local function readBucket(slotsKey, index)
  local args = {}
  for slot = 0, bucketSize - 1 do
    args[#args + 1] = 'GET'
    args[#args + 1] = fingerprintType
    args[#args + 1] = slotOffset(index, slot)
  end
  return redis.call('BITFIELD_RO', slotsKey, unpack(args))
end

local function writeSlot(slotsKey, index, slot, fingerprint)
  return redis.call('BITFIELD', slotsKey, 'SET', fingerprintType, slotOffset(index, slot), fingerprint)[1]
end

-- The 0-based slot of bucket index holding fingerprint, or nil.
local function findIn(slotsKey, index, fingerprint)
  local bucket = readBucket(slotsKey, index)
  for slot = 1, bucketSize do
    if bucket[slot] == fingerprint then return slot - 1 end
  end
  return nil
end

local function placeIn(slotsKey, index, fingerprint)
  local slot = findIn(slotsKey, index, 0)
  if slot == nil then return false end
  writeSlot(slotsKey, index, slot, fingerprint)
  return true
end

-- Cuckoo insertion. When it gives up, every eviction is undone in reverse order, so a full table
-- rejects the new id instead of silently dropping one it already holds.
local function insert(slotsKey, fingerprint, index1, index2, maxKicks)
  if placeIn(slotsKey, index1, fingerprint) or placeIn(slotsKey, index2, fingerprint) then return true end
  local evictions = {}
  local index = (math.random(2) == 1) and index1 or index2
  for kick = 1, maxKicks do
    local slot = math.random(bucketSize) - 1
    local evicted = writeSlot(slotsKey, index, slot, fingerprint)
    evictions[kick] = { index, slot, evicted }
    fingerprint = evicted
    index = alternateIndex(index, fingerprint)
    if placeIn(slotsKey, index, fingerprint) then return true end
  end
  for kick = #evictions, 1, -1 do
    local e = evictions[kick]
    writeSlot(slotsKey, e[1], e[2], e[3])
  end
  return false
end
`;

/** KEYS: meta, slots. ARGV: geometry, then (fingerprint, index1, index2) per id. Answers 1/0 per id. */
const CONTAINS = new LuaScript(`${LUA_TABLE}
local ready = hasGeometry(KEYS[1])
local answers = {}
for n = 4, #ARGV, 3 do
  local found = true
  if ready then
    local fingerprint = tonumber(ARGV[n])
    found = findIn(KEYS[2], tonumber(ARGV[n + 1]), fingerprint) ~= nil
      or findIn(KEYS[2], tonumber(ARGV[n + 2]), fingerprint) ~= nil
  end
  answers[#answers + 1] = found and 1 or 0
end
return answers
`);

/**
 * KEYS: meta, slots, next meta, next slots. ARGV: geometry, maxKicks, fingerprint, index1, index2.
 * Inserts into the live table and into a rebuild in progress, so the rebuild cannot miss an id
 * added after it started. Answers per table: 1 inserted, 0 full, -1 no such table.
 */
const ADD = new LuaScript(`${LUA_TABLE}
local maxKicks, fingerprint, index1, index2 = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local function addTo(metaKey, slotsKey)
  if not hasGeometry(metaKey) then return -1 end
  if not insert(slotsKey, fingerprint, index1, index2, maxKicks) then return 0 end
  redis.call('HINCRBY', metaKey, 'items', 1)
  return 1
end
return { addTo(KEYS[1], KEYS[2]), addTo(KEYS[3], KEYS[4]) }
`);

/**
 * KEYS: meta, slots. ARGV: geometry, fingerprint, index1, index2. Answers 1 if a copy was removed.
 * A rebuild in progress is left alone: the id may not be in it yet, and clearing a matching
 * fingerprint there could erase a different id (a false negative); at worst it keeps a false positive.
 */
const REMOVE = new LuaScript(`${LUA_TABLE}
if not hasGeometry(KEYS[1]) then return 0 end
local fingerprint = tonumber(ARGV[4])
for n = 5, 6 do
  local index = tonumber(ARGV[n])
  local slot = findIn(KEYS[2], index, fingerprint)
  if slot ~= nil then
    writeSlot(KEYS[2], index, slot, 0)
    redis.call('HINCRBY', KEYS[1], 'items', -1)
    return 1
  end
end
return 0
`);

/** KEYS: next meta, next slots. ARGV: geometry, token, lease ms. Answers 0 if another rebuild is running. */
const BEGIN_REBUILD = new LuaScript(`${LUA_TABLE}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[2])
-- Allocate the whole zeroed (empty) table now, so BITFIELD never has to grow it.
local bytes = math.ceil(bucketCount * bucketSize * tonumber(ARGV[3]) / 8)
redis.call('SETRANGE', KEYS[2], bytes - 1, '\\0')
redis.call('HSET', KEYS[1], 'bucketCount', ARGV[1], 'bucketSize', ARGV[2], 'fingerprintBits', ARGV[3], 'items', 0, 'token', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 1
`);

/**
 * KEYS: next meta, next slots. ARGV: geometry, maxKicks, token, lease ms, then (fingerprint, index1, index2)
 * per id. Answers how many ids went in (fewer than sent: the table is full), or -1 if the lease is lost.
 */
const REBUILD_BATCH = new LuaScript(`${LUA_TABLE}
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[5] then return -1 end
local maxKicks = tonumber(ARGV[4])
local inserted = 0
for n = 7, #ARGV, 3 do
  if not insert(KEYS[2], tonumber(ARGV[n]), tonumber(ARGV[n + 1]), tonumber(ARGV[n + 2]), maxKicks) then break end
  inserted = inserted + 1
end
redis.call('HINCRBY', KEYS[1], 'items', inserted)
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return inserted
`);

/** KEYS: next meta, next slots, meta, slots. ARGV: token. Publishes the rebuilt table in one step. */
const COMMIT_REBUILD = new LuaScript(`
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[1], 'token')
redis.call('RENAME', KEYS[2], KEYS[4])
redis.call('RENAME', KEYS[1], KEYS[3])
redis.call('PERSIST', KEYS[3])
redis.call('PERSIST', KEYS[4])
return 1
`);

/** KEYS: next meta, next slots. ARGV: token. Drops this builder's keys, never another's. */
const ABORT_REBUILD = new LuaScript(`
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1], KEYS[2])
`);

export class CuckooFilter {
  readonly geometry: FilterGeometry;
  private readonly maxKicks: number;
  private readonly keys: { meta: string; slots: string; nextMeta: string; nextSlots: string };

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly config: CuckooFilterConfig,
  ) {
    if (!config.name || /[{}]/.test(config.name)) {
      throw new RangeError(`filter name must be non-empty and free of braces (it sits inside a hash tag): "${config.name}"`);
    }
    this.geometry = planGeometry(config);
    this.maxKicks = config.maxKicks ?? DEFAULT_MAX_KICKS;
    const tag = `{cf:${config.name}}`;
    this.keys = { meta: `${tag}:meta`, slots: `${tag}:slots`, nextMeta: `${tag}:next:meta`, nextSlots: `${tag}:next:slots` };
  }

  /**
   * Adds an id (call it after the row is committed). Before the first rebuild there is no table and
   * this is a no-op: lookups fail open, and the rebuild reads the id from the database.
   * @throws CuckooFilterFullError if the live table or a rebuild in progress has no room.
   */
  async add(id: string): Promise<void> {
    const { fingerprint, index1, index2 } = positionOf(id, this.geometry);
    const { meta, slots, nextMeta, nextSlots } = this.keys;
    const outcome = (await ADD.run(
      this.redis,
      [meta, slots, nextMeta, nextSlots],
      [...this.geometryArgs(), this.maxKicks, fingerprint, index1, index2],
    )) as number[];
    if (outcome.includes(0)) throw new CuckooFilterFullError(this.config.name, id);
  }

  /** False means certainly absent; true means present or a false positive (or no table yet). */
  async mightContain(id: string): Promise<boolean> {
    const [answer] = await this.mightContainMany([id]);
    return answer;
  }

  async mightContainMany(ids: readonly string[]): Promise<boolean[]> {
    const answers: boolean[] = [];
    for (let start = 0; start < ids.length; start += BATCH_SIZE) {
      const batch = ids.slice(start, start + BATCH_SIZE).map((id) => positionOf(id, this.geometry));
      const found = (await CONTAINS.run(this.redis, [this.keys.meta, this.keys.slots], [...this.geometryArgs(), ...batch.flatMap(positionArgs)])) as number[];
      answers.push(...found.map((flag) => flag === 1));
    }
    return answers;
  }

  /**
   * Removes one copy of an id's fingerprint. Only for ids known to be in the filter: removing an absent
   * id can erase another id sharing its fingerprint and bucket, which then reads as absent.
   * @returns false if no matching fingerprint was found (or there is no table).
   */
  async remove(id: string): Promise<boolean> {
    const position = positionOf(id, this.geometry);
    const removed = await REMOVE.run(this.redis, [this.keys.meta, this.keys.slots], [...this.geometryArgs(), ...positionArgs(position)]);
    return removed === 1;
  }

  /**
   * Builds a fresh table from every id (e.g. a paged database scan) and swaps it in atomically;
   * readers keep using the old table meanwhile, and `add` writes to both. Pass a lazy AsyncIterable
   * so the scan starts after the rebuild is registered: an id committed before that is seen by the scan,
   * one added after it goes through `add`.
   * @returns the number of ids inserted.
   * @throws CuckooRebuildConflictError if another rebuild is running, CuckooFilterFullError if ids exceed the table.
   */
  async rebuild(ids: AsyncIterable<readonly string[]> | readonly string[]): Promise<number> {
    const token = randomUUID();
    const buildKeys = [this.keys.nextMeta, this.keys.nextSlots];
    const begun = await BEGIN_REBUILD.run(this.redis, buildKeys, [...this.geometryArgs(), token, REBUILD_LEASE_MS]);
    if (begun !== 1) throw new CuckooRebuildConflictError(`cuckoo filter "${this.config.name}" is already being rebuilt`);
    try {
      let total = 0;
      const pages = Symbol.asyncIterator in ids ? ids : [ids];
      for await (const page of pages) {
        for (let start = 0; start < page.length; start += BATCH_SIZE) {
          total += await this.insertIntoRebuild(token, page.slice(start, start + BATCH_SIZE));
        }
      }
      const committed = await COMMIT_REBUILD.run(this.redis, [...buildKeys, this.keys.meta, this.keys.slots], [token]);
      if (committed !== 1) throw this.lostLease();
      return total;
    } catch (error) {
      // If this fails too, the lease expiry removes the keys; the original error is the one to report.
      await ABORT_REBUILD.run(this.redis, buildKeys, [token]).catch(() => undefined);
      throw error;
    }
  }

  async stats(): Promise<CuckooFilterStats> {
    const [[bucketCount, bucketSize, fingerprintBits, items], rebuilding] = await Promise.all([
      this.redis.hmget(this.keys.meta, "bucketCount", "bucketSize", "fingerprintBits", "items"),
      this.redis.exists(this.keys.nextMeta),
    ]);
    const geometry = this.geometry;
    const ready =
      bucketCount === String(geometry.bucketCount) && bucketSize === String(geometry.bucketSize) && fingerprintBits === String(geometry.fingerprintBits);
    const capacity = geometry.bucketCount * geometry.bucketSize;
    const itemCount = ready ? Number(items) : 0;
    return {
      name: this.config.name,
      ready,
      rebuilding: rebuilding === 1,
      ...geometry,
      capacity,
      items: itemCount,
      loadFactor: itemCount / capacity,
      falsePositiveRate: expectedFalsePositiveRate(geometry.bucketSize, geometry.fingerprintBits, itemCount / capacity),
      falsePositiveBound: falsePositiveBound(geometry.bucketSize, geometry.fingerprintBits),
    };
  }

  private async insertIntoRebuild(token: string, ids: readonly string[]): Promise<number> {
    const positions = ids.map((id) => positionOf(id, this.geometry));
    const inserted = (await REBUILD_BATCH.run(
      this.redis,
      [this.keys.nextMeta, this.keys.nextSlots],
      [...this.geometryArgs(), this.maxKicks, token, REBUILD_LEASE_MS, ...positions.flatMap(positionArgs)],
    )) as number;
    if (inserted < 0) throw this.lostLease();
    if (inserted < ids.length) throw new CuckooFilterFullError(this.config.name, ids[inserted]);
    return inserted;
  }

  private lostLease(): CuckooRebuildConflictError {
    return new CuckooRebuildConflictError(`cuckoo filter "${this.config.name}": the rebuild's lease expired before it finished`);
  }

  private geometryArgs(): number[] {
    return [this.geometry.bucketCount, this.geometry.bucketSize, this.geometry.fingerprintBits];
  }
}

function positionArgs({ fingerprint, index1, index2 }: ItemPosition): number[] {
  return [fingerprint, index1, index2];
}
