import { randomBytes, scryptSync } from "crypto";
import {
  MalformedPasswordHashError,
  PasswordHasher,
  PasswordHashingBusyError,
  PRODUCTION_ARGON2_PARAMS,
  type Argon2Params,
} from "../../../services/account/password-hasher";

// Little memory keeps these fast; one test below runs the real production parameters.
const FAST_PARAMS: Argon2Params = { memoryKiB: 1_024, timeCost: 1, parallelism: 1 };

/** A hash as the scrypt version of this service stored it: scrypt$N$r$p$salt$hash. */
function legacyScryptHash(password: string, N = 2 ** 10): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password.normalize("NFKC"), salt, 32, { N, r: 8, p: 1 });
  return ["scrypt", N, 8, 1, salt.toString("base64"), hash.toString("base64")].join("$");
}

/** Replaces field `index` of a `$`-separated stored hash. */
function withField(stored: string, index: number, value: string): string {
  const parts = stored.split("$");
  parts[index] = value;
  return parts.join("$");
}

/** Flips one bit of an unpadded base64 field, keeping it decodable and of the same length. */
function flipFirstByte(base64: string): string {
  const bytes = Buffer.from(base64, "base64");
  bytes[0] ^= 0x01;
  return bytes.toString("base64").replace(/=+$/, "");
}

describe("PasswordHasher", () => {
  let hasher: PasswordHasher;

  beforeAll(async () => {
    hasher = await PasswordHasher.create(FAST_PARAMS);
  });

  it("verifies the password it hashed", async () => {
    const stored = await hasher.hash("deptrai123");
    await expect(hasher.verify("deptrai123", stored)).resolves.toEqual({ valid: true, needsRehash: false });
  });

  it("rejects a wrong password", async () => {
    const stored = await hasher.hash("deptrai123");
    await expect(hasher.verify("deptrai124", stored)).resolves.toEqual({ valid: false, needsRehash: false });
    await expect(hasher.verify("", stored)).resolves.toEqual({ valid: false, needsRehash: false });
  });

  it("stores argon2id with its parameters, a 16-byte salt and a 32-byte key (PHC format)", async () => {
    const stored = await hasher.hash("deptrai123");
    const [empty, scheme, version, params, salt, hash] = stored.split("$");
    expect([empty, scheme, version, params]).toEqual(["", "argon2id", "v=19", "m=1024,t=1,p=1"]);
    expect(Buffer.from(salt, "base64")).toHaveLength(16);
    expect(Buffer.from(hash, "base64")).toHaveLength(32);
  });

  it("salts every hash, so equal passwords store differently", async () => {
    const first = await hasher.hash("deptrai123");
    const second = await hasher.hash("deptrai123");
    expect(first).not.toEqual(second);
  });

  it("treats canonically equivalent Unicode spellings as the same password", async () => {
    const precomposed = "caf\u00e9-password";
    const combiningAccent = "cafe\u0301-password";
    const stored = await hasher.hash(precomposed);
    await expect(hasher.verify(combiningAccent, stored)).resolves.toMatchObject({ valid: true });
    await expect(hasher.verify(combiningAccent, legacyScryptHash(precomposed))).resolves.toMatchObject({ valid: true });
  });

  it("verifies hashes made with other argon2id parameters and flags them for rehashing", async () => {
    const stronger = await PasswordHasher.create({ ...FAST_PARAMS, memoryKiB: 2_048 });
    const oldStored = await hasher.hash("deptrai123");

    await expect(stronger.verify("deptrai123", oldStored)).resolves.toEqual({ valid: true, needsRehash: true });
    await expect(stronger.verify("wrong-password", oldStored)).resolves.toEqual({ valid: false, needsRehash: false });

    const newStored = await stronger.hash("deptrai123");
    expect(newStored.startsWith("$argon2id$v=19$m=2048,t=1,p=1$")).toBe(true);
    await expect(stronger.verify("deptrai123", newStored)).resolves.toEqual({ valid: true, needsRehash: false });
  });

  it("verifies the scrypt hashes stored before argon2id and flags them for rehashing", async () => {
    const legacy = legacyScryptHash("deptrai123");
    await expect(hasher.verify("deptrai123", legacy)).resolves.toEqual({ valid: true, needsRehash: true });
    await expect(hasher.verify("deptrai124", legacy)).resolves.toEqual({ valid: false, needsRehash: false });
  });

  it("fails when the stored hash, salt or parameters were tampered with", async () => {
    const stored = await hasher.hash("deptrai123");
    const [, , , , salt, hash] = stored.split("$");
    const legacy = legacyScryptHash("deptrai123");
    const [, , , , legacySalt, legacyHash] = legacy.split("$");

    const tampered = [
      withField(stored, 5, flipFirstByte(hash)),
      withField(stored, 4, flipFirstByte(salt)),
      withField(stored, 3, "m=1024,t=2,p=1"),
      withField(legacy, 5, flipFirstByte(legacyHash)),
      withField(legacy, 4, flipFirstByte(legacySalt)),
      withField(legacy, 1, "2048"),
    ];
    for (const candidate of tampered) {
      await expect(hasher.verify("deptrai123", candidate)).resolves.toMatchObject({ valid: false });
    }
  });

  it("refuses stored values that are in none of its formats", async () => {
    const stored = await hasher.hash("deptrai123");
    const legacy = legacyScryptHash("deptrai123");
    const [, , , , , hash] = stored.split("$");
    const [, , , , , legacyHash] = legacy.split("$");
    const malformed = [
      "",
      "deptrai123",
      stored.replace("$argon2id$", "$argon2i$"),
      withField(stored, 3, "m=1024"),
      withField(stored, 4, "not base64!"),
      withField(stored, 5, hash.slice(0, 8)), // 6 bytes: a truncated hash
      legacy.replace(/^scrypt/, "bcrypt"),
      `${legacy}$extra`,
      withField(legacy, 1, "0"),
      withField(legacy, 2, "8.5"),
      withField(legacy, 3, "-1"),
      withField(legacy, 4, "not base64!"),
      withField(legacy, 5, legacyHash.slice(0, 8)),
    ];
    for (const candidate of malformed) {
      await expect(hasher.verify("deptrai123", candidate)).rejects.toBeInstanceOf(MalformedPasswordHashError);
    }
  });

  it("never accepts a password checked against the dummy hash", async () => {
    await expect(hasher.verifyAgainstDummyHash("deptrai123")).resolves.toEqual({ valid: false, needsRehash: false });
    await expect(hasher.verifyAgainstDummyHash("")).resolves.toEqual({ valid: false, needsRehash: false });
  });

  it("refuses hashing past its bound of outstanding hashes, and admits again once they are done", async () => {
    const bounded = await PasswordHasher.create(FAST_PARAMS, 3);
    const someonesHash = await hasher.hash("x");
    const admitted = [1, 2, 3].map((n) => bounded.hash(`password-${n}`));
    await expect(bounded.hash("one too many")).rejects.toBeInstanceOf(PasswordHashingBusyError);
    await expect(bounded.verify("one too many", someonesHash)).rejects.toBeInstanceOf(PasswordHashingBusyError);
    await Promise.all(admitted);
    await expect(bounded.hash("after the crowd")).resolves.toMatch(/^\$argon2id\$/);
  });

  it("fails at startup on parameters argon2 rejects", async () => {
    await expect(PasswordHasher.create({ ...FAST_PARAMS, memoryKiB: 1 })).rejects.toThrow();
  });

  it("hashes and verifies with the real production parameters (m=19 MiB, t=2, p=1)", async () => {
    expect(PRODUCTION_ARGON2_PARAMS).toEqual({ memoryKiB: 19_456, timeCost: 2, parallelism: 1 });

    const production = await PasswordHasher.create();
    const stored = await production.hash("deptrai123");

    expect(stored.startsWith("$argon2id$v=19$m=19456,t=2,p=1$")).toBe(true);
    await expect(production.verify("deptrai123", stored)).resolves.toEqual({ valid: true, needsRehash: false });
    await expect(production.verify("deptrai124", stored)).resolves.toEqual({ valid: false, needsRehash: false });
    await expect(production.verifyAgainstDummyHash("deptrai123")).resolves.toMatchObject({ valid: false });
  });
});
