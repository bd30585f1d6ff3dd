/**
 * Pure maths of a cuckoo filter (Fan et al., "Cuckoo Filter: Practically Better Than Bloom"):
 * sizing, hashing, fingerprints and the partial-key alternate index. No I/O, so it is unit-tested
 * on its own; cuckoo-filter.ts mirrors `fmix32` and `alternateIndex` in Lua for relocations.
 */

export interface FilterGeometry {
  /** Number of buckets; a power of two so `index XOR offset` stays inside the table. */
  readonly bucketCount: number;
  /** Fingerprint slots per bucket. */
  readonly bucketSize: number;
  /** Width of one fingerprint; 0 is reserved for "empty slot". */
  readonly fingerprintBits: number;
}

export interface SizingInput {
  /** Items the filter must hold. */
  readonly capacity: number;
  readonly bucketSize?: number;
  /** Explicit fingerprint width; otherwise derived from `targetFalsePositiveRate`. */
  readonly fingerprintBits?: number;
  readonly targetFalsePositiveRate?: number;
  /** Fraction of slots filled at `capacity`; below ~0.95 (b = 4) inserts rarely need long kick chains. */
  readonly targetLoadFactor?: number;
}

export const DEFAULT_BUCKET_SIZE = 4;
export const DEFAULT_FALSE_POSITIVE_RATE = 0.01;
export const DEFAULT_LOAD_FACTOR = 0.9;
/** BITFIELD stores each fingerprint as an unsigned integer of at most 32 bits here (Lua numbers stay exact). */
export const MAX_FINGERPRINT_BITS = 32;
/** A Redis string holds at most 512 MB, i.e. 2^32 bits. */
export const MAX_TABLE_BITS = 2 ** 32;

export function nextPowerOfTwo(n: number): number {
  if (!(n >= 1)) return 1;
  return 2 ** Math.ceil(Math.log2(n));
}

/** Smallest f with 2b / (2^f - 1) <= ε: a lookup compares 2b slots, each matching with probability 1 / (2^f - 1). */
export function fingerprintBitsFor(bucketSize: number, falsePositiveRate: number): number {
  if (!(falsePositiveRate > 0 && falsePositiveRate < 1)) {
    throw new RangeError(`false-positive rate must be in (0, 1), got ${falsePositiveRate}`);
  }
  return Math.ceil(Math.log2((2 * bucketSize) / falsePositiveRate + 1));
}

/** Upper bound on the false-positive rate, reached when every slot is full: 2b / (2^f - 1) ≈ 2b / 2^f. */
export function falsePositiveBound(bucketSize: number, fingerprintBits: number): number {
  return Math.min(1, (2 * bucketSize) / (2 ** fingerprintBits - 1));
}

/** Expected false-positive rate when a fraction `loadFactor` of the slots is filled. */
export function expectedFalsePositiveRate(bucketSize: number, fingerprintBits: number, loadFactor: number): number {
  const matchInOneSlot = loadFactor / (2 ** fingerprintBits - 1);
  return 1 - (1 - matchInOneSlot) ** (2 * bucketSize);
}

export function planGeometry(input: SizingInput): FilterGeometry {
  const bucketSize = input.bucketSize ?? DEFAULT_BUCKET_SIZE;
  const loadFactor = input.targetLoadFactor ?? DEFAULT_LOAD_FACTOR;
  const fingerprintBits = input.fingerprintBits ?? fingerprintBitsFor(bucketSize, input.targetFalsePositiveRate ?? DEFAULT_FALSE_POSITIVE_RATE);
  if (!Number.isInteger(input.capacity) || input.capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${input.capacity}`);
  if (!Number.isInteger(bucketSize) || bucketSize < 1) throw new RangeError(`bucket size must be a positive integer, got ${bucketSize}`);
  if (!(loadFactor > 0 && loadFactor <= 1)) throw new RangeError(`target load factor must be in (0, 1], got ${loadFactor}`);
  if (!Number.isInteger(fingerprintBits) || fingerprintBits < 1 || fingerprintBits > MAX_FINGERPRINT_BITS) {
    throw new RangeError(`fingerprint bits must be an integer in [1, ${MAX_FINGERPRINT_BITS}], got ${fingerprintBits}`);
  }
  const bucketCount = nextPowerOfTwo(Math.ceil(input.capacity / bucketSize / loadFactor));
  if (bucketCount * bucketSize * fingerprintBits > MAX_TABLE_BITS) {
    throw new RangeError(`a table of ${bucketCount} × ${bucketSize} × ${fingerprintBits} bits exceeds one Redis string`);
  }
  return { bucketCount, bucketSize, fingerprintBits };
}

/** MurmurHash3 finaliser: a bijective 32-bit mix. Lua's copy in cuckoo-filter.ts must stay identical. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** MurmurHash3 x86 32-bit over the UTF-8 bytes of `text`. */
export function murmur3(text: string, seed: number): number {
  const bytes = Buffer.from(text, "utf8");
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const blockEnd = bytes.length - (bytes.length % 4);
  let h = seed >>> 0;
  for (let i = 0; i < blockEnd; i += 4) {
    let k = bytes.readUInt32LE(i);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (blockEnd < bytes.length) {
    // The last 1-3 bytes, little-endian, mixed like a block but without the h-rotation.
    let k = 0;
    for (let i = bytes.length - 1; i >= blockEnd; i--) k = (k << 8) | bytes[i];
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  return fmix32(h ^ bytes.length);
}

/** Non-zero fingerprint in [1, 2^f - 1], so an all-zero slot can mean "empty". */
export function fingerprintOf(hash: number, fingerprintBits: number): number {
  return (hash % (2 ** fingerprintBits - 1)) + 1;
}

/** i2 = i1 XOR hash(fp): an involution, so either bucket leads to the other knowing only the fingerprint. */
export function alternateIndex(index: number, fingerprint: number, bucketCount: number): number {
  return (index ^ (fmix32(fingerprint) % bucketCount)) >>> 0;
}

export interface ItemPosition {
  readonly fingerprint: number;
  readonly index1: number;
  readonly index2: number;
}

// Two seeds give independent-looking hashes for the bucket and the fingerprint.
const INDEX_SEED = 0x9747b28c;
const FINGERPRINT_SEED = 0x5bd1e995;

export function positionOf(id: string, geometry: FilterGeometry): ItemPosition {
  const fingerprint = fingerprintOf(murmur3(id, FINGERPRINT_SEED), geometry.fingerprintBits);
  const index1 = murmur3(id, INDEX_SEED) % geometry.bucketCount;
  return { fingerprint, index1, index2: alternateIndex(index1, fingerprint, geometry.bucketCount) };
}
