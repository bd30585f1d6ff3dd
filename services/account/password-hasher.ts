/**
 * Password hashes. New hashes are argon2id at OWASP's m=19 MiB, t=2, p=1
 * (about 30 ms each here, against 0.6 s for the scrypt N=2^17 used before, so
 * a crowd signing up is served in about a second instead of timing out).
 * Hashes stored by the earlier version (`scrypt$N$r$p$salt$hash`) still verify
 * and report needsRehash, so each moves to argon2id at its owner's next login.
 * Hashing is admitted up to a bound; past it callers are told to come back
 * (PasswordHashingBusyError) rather than queue past their deadline.
 */
import { randomBytes, scrypt, ScryptOptions, timingSafeEqual } from "crypto";
import { hash as argon2Hash, parseOptions as argon2Options, verify as argon2Verify } from "@node-rs/argon2";

export interface Argon2Params {
  /** Memory per hash, KiB. */
  memoryKiB: number;
  /** Passes over the memory. */
  timeCost: number;
  parallelism: number;
}

/** OWASP Password Storage Cheat Sheet's first argon2id option (m=19 MiB, t=2, p=1). */
export const PRODUCTION_ARGON2_PARAMS: Readonly<Argon2Params> = { memoryKiB: 19_456, timeCost: 2, parallelism: 1 };

/** Hashes and checks in progress or queued on the thread pool at once; more are refused as busy. */
export const DEFAULT_MAX_OUTSTANDING_HASHES = 64;

/** The parameters of the scrypt hashes stored before argon2id; only verified now, never made. */
interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

export interface PasswordVerification {
  valid: boolean;
  /** The stored hash used other parameters than the current ones: re-hash the password now that we have it. */
  needsRehash: boolean;
}

/** The stored value is not one of our hashes at all (corrupt row, wrong column), as opposed to a wrong password. */
export class MalformedPasswordHashError extends Error {
  override readonly name = "MalformedPasswordHashError";
}

/** Too many hashes are already waiting for the CPU: the caller should answer "busy, retry shortly". */
export class PasswordHashingBusyError extends Error {
  override readonly name = "PasswordHashingBusyError";
}

const ARGON2ID_PREFIX = "$argon2id$";
const SCRYPT_SCHEME = "scrypt";
const MIN_STORED_HASH_BYTES = 16;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export class PasswordHasher {
  private outstanding = 0;

  private constructor(
    private readonly params: Readonly<Argon2Params>,
    private readonly maxOutstanding: number,
    private readonly dummyHash: string,
  ) {}

  /** Computes the dummy hash once, at startup; also fails fast on parameters argon2 rejects. */
  static async create(params: Readonly<Argon2Params> = PRODUCTION_ARGON2_PARAMS, maxOutstanding = DEFAULT_MAX_OUTSTANDING_HASHES): Promise<PasswordHasher> {
    const dummyHash = await hashArgon2id(params, randomBytes(32).toString("base64"));
    return new PasswordHasher(params, maxOutstanding, dummyHash);
  }

  /** @throws PasswordHashingBusyError past the admission bound. */
  hash(password: string): Promise<string> {
    return this.admitted(() => hashArgon2id(this.params, password));
  }

  /**
   * @throws MalformedPasswordHashError when `stored` is not in one of our formats.
   * @throws PasswordHashingBusyError past the admission bound.
   */
  verify(password: string, stored: string): Promise<PasswordVerification> {
    return this.admitted(async () => {
      if (stored.startsWith(ARGON2ID_PREFIX)) {
        const stale = !sameArgon2Params(parseArgon2Params(stored), this.params);
        const valid = await argon2Verify(stored, password.normalize("NFKC")).catch(() => {
          throw new MalformedPasswordHashError("Stored argon2id hash could not be decoded");
        });
        return { valid, needsRehash: valid && stale };
      }
      // A legacy scrypt hash: right or wrong, it is never current.
      const valid = await verifyScrypt(password, stored);
      return { valid, needsRehash: valid };
    });
  }

  /**
   * For logins with an unknown email: does the same work as a real check with current
   * parameters, so response time does not reveal which emails are registered. Never valid.
   */
  async verifyAgainstDummyHash(password: string): Promise<PasswordVerification> {
    await this.verify(password, this.dummyHash);
    return { valid: false, needsRehash: false };
  }

  private async admitted<T>(work: () => Promise<T>): Promise<T> {
    if (this.outstanding >= this.maxOutstanding) throw new PasswordHashingBusyError(`${this.outstanding} password hashes are already waiting`);
    this.outstanding++;
    try {
      return await work();
    } finally {
      this.outstanding--;
    }
  }
}

// NFKC so the same password typed on different keyboards/platforms hashes the same (NIST SP 800-63B).
function hashArgon2id(params: Readonly<Argon2Params>, password: string): Promise<string> {
  // The package's default algorithm is argon2id (its enum is const, unusable across module boundaries).
  return argon2Hash(password.normalize("NFKC"), { memoryCost: params.memoryKiB, timeCost: params.timeCost, parallelism: params.parallelism });
}

function parseArgon2Params(stored: string): Argon2Params {
  let parsed: ReturnType<typeof argon2Options>;
  try {
    parsed = argon2Options(stored);
  } catch {
    throw new MalformedPasswordHashError("Stored password hash is not a valid argon2id PHC string");
  }
  // A truncated hash would verify far too many passwords.
  if (parsed.outputLen < MIN_STORED_HASH_BYTES) throw new MalformedPasswordHashError(`Stored password hash is shorter than ${MIN_STORED_HASH_BYTES} bytes`);
  return { memoryKiB: parsed.memoryCost, timeCost: parsed.timeCost, parallelism: parsed.parallelism };
}

function sameArgon2Params(a: Readonly<Argon2Params>, b: Readonly<Argon2Params>): boolean {
  return a.memoryKiB === b.memoryKiB && a.timeCost === b.timeCost && a.parallelism === b.parallelism;
}

async function verifyScrypt(password: string, stored: string): Promise<boolean> {
  const { params, salt, hash } = parseScryptHash(stored);
  const candidate = await deriveScrypt(password, salt, params, hash.length);
  return timingSafeEqual(candidate, hash);
}

function deriveScrypt(password: string, salt: Buffer, { N, r, p }: ScryptParams, keyLength: number): Promise<Buffer> {
  const options: ScryptOptions = { N, r, p, maxmem: scryptMemoryBytes(N, r, p) };
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

function parseScryptHash(stored: string): { params: ScryptParams; salt: Buffer; hash: Buffer } {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== SCRYPT_SCHEME) {
    throw new MalformedPasswordHashError("Stored password hash is neither argon2id nor in scrypt$N$r$p$salt$hash format");
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
  return { params: { N, r, p }, salt, hash };
}

function parsePositiveInteger(raw: string): number {
  const value = Number(raw);
  if (!/^[1-9][0-9]*$/.test(raw) || !Number.isSafeInteger(value)) {
    throw new MalformedPasswordHashError(`Stored password hash has invalid parameter "${raw}"`);
  }
  return value;
}
