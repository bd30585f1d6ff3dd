import { randomBytes, scrypt, ScryptOptions, timingSafeEqual } from "crypto";

export interface ScryptParams {
  /** CPU/memory cost; a power of two. */
  N: number;
  r: number;
  p: number;
  keyLength: number;
  saltLength: number;
}

/** OWASP Password Storage Cheat Sheet minimum for scrypt (about 128 MiB per hash). */
export const PRODUCTION_SCRYPT_PARAMS: Readonly<ScryptParams> = {
  N: 2 ** 17,
  r: 8,
  p: 1,
  keyLength: 32,
  saltLength: 16,
};

export interface PasswordVerification {
  valid: boolean;
  /** The stored hash used other parameters than the current ones: re-hash the password now that we have it. */
  needsRehash: boolean;
}

/** The stored value is not one of our hashes at all (corrupt row, wrong column), as opposed to a wrong password. */
export class MalformedPasswordHashError extends Error {
  override readonly name = "MalformedPasswordHashError";
}

const SCHEME = "scrypt";
const MIN_STORED_HASH_BYTES = 16;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Stored format: `scrypt$N$r$p$<salt base64>$<hash base64>`, so parameters can be raised later
 * and old hashes still verify (and report needsRehash).
 */
export class PasswordHasher {
  private constructor(
    private readonly params: Readonly<ScryptParams>,
    private readonly dummyHash: string,
  ) {}

  /** Computes the dummy hash once, at startup; also fails fast on parameters scrypt rejects. */
  static async create(params: Readonly<ScryptParams> = PRODUCTION_SCRYPT_PARAMS): Promise<PasswordHasher> {
    const dummyHash = await hashWith(params, randomBytes(32).toString("base64"));
    return new PasswordHasher(params, dummyHash);
  }

  hash(password: string): Promise<string> {
    return hashWith(this.params, password);
  }

  /** @throws MalformedPasswordHashError when `stored` is not in our format. */
  async verify(password: string, stored: string): Promise<PasswordVerification> {
    const { params, salt, hash } = parseStoredHash(stored);
    const candidate = await derive(password, salt, params.N, params.r, params.p, hash.length);
    const valid = timingSafeEqual(candidate, hash);
    return { valid, needsRehash: valid && !sameParams(params, this.params) };
  }

  /**
   * For logins with an unknown email: does the same scrypt work as a real check with current
   * parameters, so response time does not reveal which emails are registered. Never valid.
   */
  async verifyAgainstDummyHash(password: string): Promise<PasswordVerification> {
    await this.verify(password, this.dummyHash);
    return { valid: false, needsRehash: false };
  }
}

async function hashWith(params: Readonly<ScryptParams>, password: string): Promise<string> {
  const salt = randomBytes(params.saltLength);
  const hash = await derive(password, salt, params.N, params.r, params.p, params.keyLength);
  return [SCHEME, params.N, params.r, params.p, salt.toString("base64"), hash.toString("base64")].join("$");
}

function derive(password: string, salt: Buffer, N: number, r: number, p: number, keyLength: number): Promise<Buffer> {
  const options: ScryptOptions = { N, r, p, maxmem: scryptMemoryBytes(N, r, p) };
  // NFKC so the same password typed on different keyboards/platforms hashes the same (NIST SP 800-63B).
  const normalized = password.normalize("NFKC");
  return new Promise((resolve, reject) => {
    scrypt(normalized, salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/**
 * OpenSSL needs 128*r*(N+2) bytes for V plus 128*r*p for B; Node's 32 MiB default maxmem
 * is far below the 128 MiB that N=2^17, r=8 takes, so allow exactly what the params need.
 */
function scryptMemoryBytes(N: number, r: number, p: number): number {
  return 128 * r * (N + 2 + p);
}

function parseStoredHash(stored: string): { params: ScryptParams; salt: Buffer; hash: Buffer } {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== SCHEME) {
    throw new MalformedPasswordHashError("Stored password hash is not in scrypt$N$r$p$salt$hash format");
  }
  const [, rawN, rawR, rawP, rawSalt, rawHash] = parts;
  const [N, r, p] = [rawN, rawR, rawP].map(parsePositiveInteger);
  if (!BASE64.test(rawSalt) || !BASE64.test(rawHash)) {
    throw new MalformedPasswordHashError("Stored password hash has invalid base64 salt or hash");
  }
  const salt = Buffer.from(rawSalt, "base64");
  const hash = Buffer.from(rawHash, "base64");
  // A truncated hash would verify far too many passwords.
  if (hash.length < MIN_STORED_HASH_BYTES) {
    throw new MalformedPasswordHashError(`Stored password hash is shorter than ${MIN_STORED_HASH_BYTES} bytes`);
  }
  return { params: { N, r, p, keyLength: hash.length, saltLength: salt.length }, salt, hash };
}

function parsePositiveInteger(raw: string): number {
  const value = Number(raw);
  if (!/^[1-9][0-9]*$/.test(raw) || !Number.isSafeInteger(value)) {
    throw new MalformedPasswordHashError(`Stored password hash has invalid parameter "${raw}"`);
  }
  return value;
}

function sameParams(a: Readonly<ScryptParams>, b: Readonly<ScryptParams>): boolean {
  return a.N === b.N && a.r === b.r && a.p === b.p && a.keyLength === b.keyLength && a.saltLength === b.saltLength;
}
