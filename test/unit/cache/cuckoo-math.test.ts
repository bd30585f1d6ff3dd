import {
  alternateIndex,
  expectedFalsePositiveRate,
  falsePositiveBound,
  fingerprintBitsFor,
  fingerprintOf,
  fmix32,
  murmur3,
  nextPowerOfTwo,
  planGeometry,
  positionOf,
} from "../../../lib/cache/cuckoo-math";

/** Small seeded PRNG (mulberry32) so the sampled properties are the same on every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

describe("sizing", () => {
  it("rounds up to a power of two", () => {
    expect([0, 1, 2, 3, 5, 1000, 1024, 1025].map(nextPowerOfTwo)).toEqual([1, 1, 2, 4, 8, 1024, 1024, 2048]);
  });

  it("picks the smallest fingerprint width whose bound meets the target rate", () => {
    expect(fingerprintBitsFor(4, 0.01)).toBe(10);
    for (const bucketSize of [1, 2, 4, 8]) {
      for (const rate of [0.1, 0.03, 0.01, 0.001, 0.0001]) {
        const bits = fingerprintBitsFor(bucketSize, rate);
        expect(falsePositiveBound(bucketSize, bits)).toBeLessThanOrEqual(rate);
        expect(falsePositiveBound(bucketSize, bits - 1)).toBeGreaterThan(rate);
      }
    }
  });

  it("rejects a target rate outside (0, 1)", () => {
    expect(() => fingerprintBitsFor(4, 0)).toThrow(RangeError);
    expect(() => fingerprintBitsFor(4, 1)).toThrow(RangeError);
  });

  it("sizes the table for capacity at the target load with power-of-two buckets", () => {
    expect(planGeometry({ capacity: 10_000 })).toEqual({ bucketCount: 4096, bucketSize: 4, fingerprintBits: 10 });
    for (const capacity of [1, 7, 100, 2_500, 10_000, 123_457]) {
      for (const targetLoadFactor of [0.5, 0.9, 0.95]) {
        const { bucketCount, bucketSize } = planGeometry({ capacity, targetLoadFactor });
        expect(Math.log2(bucketCount) % 1).toBe(0);
        expect(bucketCount * bucketSize * targetLoadFactor).toBeGreaterThanOrEqual(capacity);
        // Half as many buckets would not do: the table is no larger than rounding requires.
        if (bucketCount > 1) expect((bucketCount / 2) * bucketSize * targetLoadFactor).toBeLessThan(capacity);
      }
    }
  });

  it("honours explicit bucket size and fingerprint width", () => {
    expect(planGeometry({ capacity: 1000, bucketSize: 2, fingerprintBits: 16 })).toEqual({
      bucketCount: 1024,
      bucketSize: 2,
      fingerprintBits: 16,
    });
  });

  it("rejects impossible configurations", () => {
    expect(() => planGeometry({ capacity: 0 })).toThrow(RangeError);
    expect(() => planGeometry({ capacity: 10, bucketSize: 0 })).toThrow(RangeError);
    expect(() => planGeometry({ capacity: 10, fingerprintBits: 33 })).toThrow(RangeError);
    expect(() => planGeometry({ capacity: 10, fingerprintBits: 0 })).toThrow(RangeError);
    expect(() => planGeometry({ capacity: 10, targetLoadFactor: 1.5 })).toThrow(RangeError);
    // 2^30 buckets × 4 slots × 16 bits is more than one Redis string can hold.
    expect(() => planGeometry({ capacity: 2 ** 32, fingerprintBits: 16, targetLoadFactor: 1 })).toThrow(RangeError);
  });
});

describe("false-positive rates", () => {
  it("bounds the rate by 2b / 2^f, about", () => {
    expect(falsePositiveBound(4, 10)).toBeCloseTo(8 / 1023, 12);
    expect(falsePositiveBound(4, 10) / (8 / 1024)).toBeLessThan(1 + 1 / 1000);
  });

  it("expects no false positives when empty, grows with load and stays under the bound", () => {
    expect(expectedFalsePositiveRate(4, 10, 0)).toBe(0);
    let previous = 0;
    for (const load of [0.1, 0.3, 0.5, 0.7, 0.9, 1]) {
      const rate = expectedFalsePositiveRate(4, 10, load);
      expect(rate).toBeGreaterThan(previous);
      expect(rate).toBeLessThanOrEqual(falsePositiveBound(4, 10));
      previous = rate;
    }
  });
});

describe("hashing", () => {
  it("matches published MurmurHash3 x86-32 vectors", () => {
    expect(murmur3("", 0)).toBe(0);
    expect(murmur3("", 1)).toBe(0x514e28b7);
    expect(murmur3("hello", 0)).toBe(0x248bfa47);
    expect(murmur3("Hello, world!", 0x9747b28c)).toBe(0x24884cba);
    expect(murmur3("The quick brown fox jumps over the lazy dog", 0)).toBe(0x2e4ff723);
  });

  it("hashes the UTF-8 bytes, including a 1-3 byte tail", () => {
    // "ü€😀" is 9 bytes of UTF-8 (2 + 3 + 4): two blocks and a 1-byte tail.
    expect(murmur3("ü€😀", 0)).toBe(0x0e9688f1);
  });

  it("fmix32 is a bijection (no collisions over a range) yielding unsigned 32-bit values", () => {
    const mixed = Array.from({ length: 100_000 }, (_, h) => fmix32(h));
    expect(mixed.filter((value) => value !== value >>> 0)).toEqual([]);
    expect(new Set(mixed).size).toBe(100_000);
  });
});

describe("fingerprints and buckets", () => {
  it("never yields the empty fingerprint 0 and stays within f bits", () => {
    const random = seededRandom(1);
    const outOfRange: string[] = [];
    for (let bits = 1; bits <= 32; bits++) {
      const modulus = 2 ** bits - 1;
      const edgeHashes = [0, 1, modulus - 1, modulus, modulus + 1, 2 * modulus, 2 ** 32 - 1];
      const sampled = Array.from({ length: 200 }, () => Math.floor(random() * 2 ** 32));
      for (const hash of [...edgeHashes, ...sampled]) {
        const fingerprint = fingerprintOf(hash, bits);
        if (fingerprint < 1 || fingerprint > modulus) outOfRange.push(`f=${bits} hash=${hash} -> ${fingerprint}`);
      }
    }
    expect(outOfRange).toEqual([]);
  });

  it("alternate index is an involution that stays in the table", () => {
    const random = seededRandom(2);
    const broken: string[] = [];
    for (const bucketCount of [1, 2, 64, 4096, 2 ** 20, 2 ** 31, 2 ** 32]) {
      for (let n = 0; n < 2_000; n++) {
        const index = Math.floor(random() * bucketCount);
        const fingerprint = 1 + Math.floor(random() * (2 ** 32 - 1));
        const other = alternateIndex(index, fingerprint, bucketCount);
        const back = alternateIndex(other, fingerprint, bucketCount);
        if (!(other >= 0 && other < bucketCount && back === index)) broken.push(`m=${bucketCount} i=${index} fp=${fingerprint}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("places an id deterministically in two buckets linked by its fingerprint", () => {
    const geometry = planGeometry({ capacity: 10_000 });
    const broken: string[] = [];
    for (let n = 0; n < 5_000; n++) {
      const id = `product-${n}`;
      const { fingerprint, index1, index2 } = positionOf(id, geometry);
      const again = positionOf(id, geometry);
      const valid =
        again.fingerprint === fingerprint &&
        again.index1 === index1 &&
        fingerprint >= 1 &&
        fingerprint < 2 ** geometry.fingerprintBits &&
        index1 < geometry.bucketCount &&
        index2 === alternateIndex(index1, fingerprint, geometry.bucketCount);
      if (!valid) broken.push(id);
    }
    expect(broken).toEqual([]);
  });

  it("spreads ids evenly over the buckets", () => {
    const geometry = planGeometry({ capacity: 4_000, targetLoadFactor: 1 });
    const perBucket = new Array<number>(geometry.bucketCount).fill(0);
    const ids = 100_000;
    for (let n = 0; n < ids; n++) perBucket[positionOf(`id-${n}`, geometry).index1]++;
    const mean = ids / geometry.bucketCount;
    // Poisson-like spread: no bucket strays beyond ~6 standard deviations of the mean.
    expect(Math.max(...perBucket)).toBeLessThan(mean + 6 * Math.sqrt(mean));
    expect(Math.min(...perBucket)).toBeGreaterThan(mean - 6 * Math.sqrt(mean));
  });
});
