import { createPrivateKey, createPublicKey, createSecretKey, KeyObject } from "crypto";
import { secretSetting } from "../settings/settings";

export type JwtAlgorithm = "HS256" | "RS256" | "ES256";

export interface AuthConfig {
  algorithm: JwtAlgorithm;
  /** HMAC secret for HS256, private key for RS256/ES256. */
  signingKey: KeyObject;
  /** Same secret as `signingKey` for HS256, public key for RS256/ES256. */
  verificationKey: KeyObject;
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
}

export class AuthConfigError extends Error {
  override readonly name = "AuthConfigError";
}

/** HS256 keys shorter than the hash output (32 bytes) weaken the MAC (RFC 7518 §3.2). */
export const MIN_SECRET_BYTES = 32;

const DEFAULT_ISSUER = "saga-shop";
const DEFAULT_AUDIENCE = "saga-shop-api";
const DEFAULT_ACCESS_TTL_SECONDS = 15 * 60;
const DEFAULT_REFRESH_TTL_SECONDS = 30 * 24 * 60 * 60;
const SUPPORTED_ALGORITHMS: readonly JwtAlgorithm[] = ["HS256", "RS256", "ES256"];

/**
 * Reads the JWT settings from the environment; throws AuthConfigError rather
 * than start insecurely. There is no default secret, in any mode: a default
 * would be in the source, and anyone could sign tokens a default install
 * accepts. `npm start` and `npm test` make one per installation (stack/installation-secret.ts).
 */
export function loadAuthConfig(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const algorithm = readAlgorithm(nonEmpty(env.JWT_ALGORITHM) ?? "HS256");
  const keys =
    algorithm === "HS256"
      ? readSecretKey(secretSetting(env, "JWT_SECRET"))
      : readKeyPair(algorithm, secretSetting(env, "JWT_PRIVATE_KEY"), secretSetting(env, "JWT_PUBLIC_KEY"));

  return {
    algorithm,
    ...keys,
    issuer: nonEmpty(env.JWT_ISSUER) ?? DEFAULT_ISSUER,
    audience: nonEmpty(env.JWT_AUDIENCE) ?? DEFAULT_AUDIENCE,
    accessTokenTtlSeconds: readTtl(env, "JWT_ACCESS_TTL_SECONDS", DEFAULT_ACCESS_TTL_SECONDS),
    refreshTokenTtlSeconds: readTtl(env, "JWT_REFRESH_TTL_SECONDS", DEFAULT_REFRESH_TTL_SECONDS),
  };
}

type KeyPair = Pick<AuthConfig, "signingKey" | "verificationKey">;

function readSecretKey(secret: string | undefined): KeyPair {
  if (secret === undefined) {
    throw new AuthConfigError("JWT_SECRET must be set (npm start and npm test make one for this installation under .stack/)");
  }
  if (Buffer.byteLength(secret, "utf8") < MIN_SECRET_BYTES) {
    throw new AuthConfigError(`JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes`);
  }
  const key = createSecretKey(Buffer.from(secret, "utf8"));
  return { signingKey: key, verificationKey: key };
}

function readKeyPair(algorithm: Exclude<JwtAlgorithm, "HS256">, privatePem: string | undefined, publicPem: string | undefined): KeyPair {
  if (privatePem === undefined || publicPem === undefined) {
    throw new AuthConfigError(`${algorithm} needs both JWT_PRIVATE_KEY and JWT_PUBLIC_KEY (PEM)`);
  }
  let signingKey: KeyObject;
  let verificationKey: KeyObject;
  try {
    signingKey = createPrivateKey(unescapeNewlines(privatePem));
    verificationKey = createPublicKey(unescapeNewlines(publicPem));
  } catch (error) {
    throw new AuthConfigError(`JWT_PRIVATE_KEY/JWT_PUBLIC_KEY are not valid PEM keys: ${(error as Error).message}`);
  }
  const expectedType = algorithm === "RS256" ? "rsa" : "ec";
  for (const key of [signingKey, verificationKey]) {
    if (key.asymmetricKeyType !== expectedType) {
      throw new AuthConfigError(`${algorithm} needs ${expectedType} keys, got ${key.asymmetricKeyType}`);
    }
    if (algorithm === "ES256" && key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
      throw new AuthConfigError("ES256 needs keys on the P-256 curve");
    }
  }
  return { signingKey, verificationKey };
}

/** Container env files often carry a PEM on one line with literal "\n". */
function unescapeNewlines(pem: string): string {
  return pem.replace(/\\n/g, "\n");
}

function readAlgorithm(value: string): JwtAlgorithm {
  const algorithm = SUPPORTED_ALGORITHMS.find((supported) => supported === value);
  if (algorithm === undefined) {
    throw new AuthConfigError(`JWT_ALGORITHM must be one of ${SUPPORTED_ALGORITHMS.join(", ")}, got "${value}"`);
  }
  return algorithm;
}

function readTtl(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  const seconds = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(seconds) || seconds === 0) {
    throw new AuthConfigError(`${name} must be a positive whole number of seconds, got "${raw}"`);
  }
  return seconds;
}

/** An empty variable (`JWT_ISSUER=` in an env file) means "not set", not "empty". */
function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
