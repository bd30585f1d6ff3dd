import { MalformedPasswordHashError, PasswordHasher, PRODUCTION_SCRYPT_PARAMS, ScryptParams } from "../../../services/account/password-hasher";

// Small N keeps these fast; one test below runs the real production parameters.
const FAST_PARAMS: ScryptParams = { N: 2 ** 10, r: 8, p: 1, keyLength: 32, saltLength: 16 };

/** Replaces field `index` of `scrypt$N$r$p$salt$hash`. */
function withField(stored: string, index: number, value: string): string {
  const parts = stored.split("$");
  parts[index] = value;
  return parts.join("$");
}

/** Flips one bit of a base64 field, keeping it valid base64 of the same length. */
function flipFirstByte(base64: string): string {
  const bytes = Buffer.from(base64, "base64");
  bytes[0] ^= 0x01;
  return bytes.toString("base64");
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

  it("embeds its parameters, a 16-byte salt and a 32-byte key in the stored string", async () => {
    const stored = await hasher.hash("deptrai123");
    const [scheme, N, r, p, salt, hash] = stored.split("$");

    expect(stored.split("$")).toHaveLength(6);
    expect([scheme, N, r, p]).toEqual(["scrypt", "1024", "8", "1"]);
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
  });

  it("verifies hashes made with older parameters and flags them for rehashing", async () => {
    const stronger = await PasswordHasher.create({ ...FAST_PARAMS, N: 2 ** 11 });
    const oldStored = await hasher.hash("deptrai123");

    await expect(stronger.verify("deptrai123", oldStored)).resolves.toEqual({ valid: true, needsRehash: true });
    await expect(stronger.verify("wrong-password", oldStored)).resolves.toEqual({ valid: false, needsRehash: false });

    const newStored = await stronger.hash("deptrai123");
    expect(newStored.startsWith("scrypt$2048$8$1$")).toBe(true);
    await expect(stronger.verify("deptrai123", newStored)).resolves.toEqual({ valid: true, needsRehash: false });
  });

  it("fails when the stored hash, salt or parameters were tampered with", async () => {
    const stored = await hasher.hash("deptrai123");
    const [, , , , salt, hash] = stored.split("$");

    const tampered = [
      withField(stored, 5, flipFirstByte(hash)),
      withField(stored, 4, flipFirstByte(salt)),
      withField(stored, 1, "2048"),
      withField(stored, 3, "2"),
    ];
    for (const candidate of tampered) {
      await expect(hasher.verify("deptrai123", candidate)).resolves.toMatchObject({ valid: false });
    }
  });

  it("refuses stored values that are not scrypt hashes in its format", async () => {
    const stored = await hasher.hash("deptrai123");
    const [, , , , , hash] = stored.split("$");
    const malformed = [
      "",
      "deptrai123",
      stored.replace(/^scrypt/, "bcrypt"),
      `${stored}$extra`,
      withField(stored, 1, "0"),
      withField(stored, 2, "8.5"),
      withField(stored, 3, "-1"),
      withField(stored, 4, "not base64!"),
      withField(stored, 5, hash.slice(0, 8)), // 6 bytes: a truncated hash
    ];
    for (const candidate of malformed) {
      await expect(hasher.verify("deptrai123", candidate)).rejects.toBeInstanceOf(MalformedPasswordHashError);
    }
  });

  it("never accepts a password checked against the dummy hash", async () => {
    await expect(hasher.verifyAgainstDummyHash("deptrai123")).resolves.toEqual({ valid: false, needsRehash: false });
    await expect(hasher.verifyAgainstDummyHash("")).resolves.toEqual({ valid: false, needsRehash: false });
  });

  it("fails at startup on parameters scrypt rejects", async () => {
    await expect(PasswordHasher.create({ ...FAST_PARAMS, N: 1000 })).rejects.toThrow();
  });

  it("hashes and verifies with the real production parameters (N=2^17, r=8, p=1)", async () => {
    expect(PRODUCTION_SCRYPT_PARAMS).toEqual({ N: 131072, r: 8, p: 1, keyLength: 32, saltLength: 16 });

    const production = await PasswordHasher.create();
    const stored = await production.hash("deptrai123");

    expect(stored.startsWith("scrypt$131072$8$1$")).toBe(true);
    await expect(production.verify("deptrai123", stored)).resolves.toEqual({ valid: true, needsRehash: false });
    await expect(production.verify("deptrai124", stored)).resolves.toEqual({ valid: false, needsRehash: false });
    await expect(production.verifyAgainstDummyHash("deptrai123")).resolves.toMatchObject({ valid: false });
  });
});
