import { generateKeyPairSync } from "crypto";
import { AuthConfigError, loadAuthConfig } from "../../../lib/auth/auth-config";

const STRONG_SECRET = "a-production-secret-with-more-than-32-bytes";
const ecKeyPair = (namedCurve: string) =>
  generateKeyPairSync("ec", {
    namedCurve,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
const rsaKeyPair = () =>
  generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });

describe.each([["production"], ["development"], [undefined]])("loadAuthConfig with NODE_ENV=%s", (nodeEnv) => {
  const mode = nodeEnv === undefined ? {} : { NODE_ENV: nodeEnv };

  it.each([
    ["missing", {}, /JWT_SECRET must be set/],
    ["empty", { JWT_SECRET: "" }, /JWT_SECRET must be set/],
    ["31 bytes", { JWT_SECRET: "x".repeat(31) }, /at least 32 bytes/],
  ])("refuses a secret that is %s: there is no default to fall back to", (_case, env, message) => {
    expect(() => loadAuthConfig({ ...mode, ...env })).toThrow(AuthConfigError);
    expect(() => loadAuthConfig({ ...mode, ...env })).toThrow(message);
  });

  it("accepts a secret of 32 bytes or more", () => {
    const config = loadAuthConfig({ ...mode, JWT_SECRET: "x".repeat(32) });
    expect(config.signingKey.export().toString()).toBe("x".repeat(32));
    expect(config.verificationKey).toBe(config.signingKey);
  });

  it("counts bytes, not characters", () => {
    // 16 characters, 32 bytes in UTF-8.
    expect(() => loadAuthConfig({ ...mode, JWT_SECRET: "é".repeat(16) })).not.toThrow();
  });
});

describe("loadAuthConfig outside production", () => {
  it("takes the documented defaults for all but the secret", () => {
    const config = loadAuthConfig({ JWT_SECRET: STRONG_SECRET });

    expect(config.algorithm).toBe("HS256");
    expect(config.signingKey.export().toString()).toBe(STRONG_SECRET);
    expect(config.issuer).toBe("saga-shop");
    expect(config.audience).toBe("saga-shop-api");
    expect(config.accessTokenTtlSeconds).toBe(900);
    expect(config.refreshTokenTtlSeconds).toBe(2_592_000);
  });

  it("uses the configured secret, issuer, audience and TTLs", () => {
    const config = loadAuthConfig({
      NODE_ENV: "development",
      JWT_SECRET: STRONG_SECRET,
      JWT_ISSUER: "shop-test",
      JWT_AUDIENCE: "shop-test-api",
      JWT_ACCESS_TTL_SECONDS: "300",
      JWT_REFRESH_TTL_SECONDS: "86400",
    });

    expect(config.signingKey.export().toString()).toBe(STRONG_SECRET);
    expect(config).toMatchObject({
      issuer: "shop-test",
      audience: "shop-test-api",
      accessTokenTtlSeconds: 300,
      refreshTokenTtlSeconds: 86400,
    });
  });

  it.each(["0", "-5", "15m", "1.5", "1e3"])("refuses TTL %j", (ttl) => {
    expect(() => loadAuthConfig({ JWT_SECRET: STRONG_SECRET, JWT_ACCESS_TTL_SECONDS: ttl })).toThrow(/JWT_ACCESS_TTL_SECONDS/);
    expect(() => loadAuthConfig({ JWT_SECRET: STRONG_SECRET, JWT_REFRESH_TTL_SECONDS: ttl })).toThrow(/JWT_REFRESH_TTL_SECONDS/);
  });

  it("refuses an unsupported algorithm", () => {
    expect(() => loadAuthConfig({ JWT_ALGORITHM: "none" })).toThrow(/JWT_ALGORITHM must be one of HS256, RS256, ES256/);
    expect(() => loadAuthConfig({ JWT_ALGORITHM: "HS512" })).toThrow(AuthConfigError);
  });
});

describe("loadAuthConfig with a key pair", () => {
  const ec = ecKeyPair("P-256");

  it("loads ES256 keys, including a PEM written on one line with literal \\n", () => {
    const oneLine = (key: string) => key.replace(/\n/g, "\\n");
    const config = loadAuthConfig({
      NODE_ENV: "production",
      JWT_ALGORITHM: "ES256",
      JWT_PRIVATE_KEY: oneLine(ec.privateKey),
      JWT_PUBLIC_KEY: oneLine(ec.publicKey),
    });

    expect(config.algorithm).toBe("ES256");
    expect(config.signingKey.type).toBe("private");
    expect(config.verificationKey.type).toBe("public");
  });

  it("refuses a missing key, an unparseable key, and keys of the wrong type", () => {
    const rsa = rsaKeyPair();

    expect(() => loadAuthConfig({ JWT_ALGORITHM: "ES256", JWT_PRIVATE_KEY: ec.privateKey })).toThrow(/JWT_PUBLIC_KEY/);
    expect(() => loadAuthConfig({ JWT_ALGORITHM: "ES256", JWT_PRIVATE_KEY: "garbage", JWT_PUBLIC_KEY: ec.publicKey })).toThrow(/not valid PEM/);
    expect(() => loadAuthConfig({ JWT_ALGORITHM: "ES256", JWT_PRIVATE_KEY: rsa.privateKey, JWT_PUBLIC_KEY: rsa.publicKey })).toThrow(/ES256 needs ec keys/);
    expect(() => loadAuthConfig({ JWT_ALGORITHM: "RS256", JWT_PRIVATE_KEY: ec.privateKey, JWT_PUBLIC_KEY: ec.publicKey })).toThrow(/RS256 needs rsa keys/);

    const p384 = ecKeyPair("P-384");
    expect(() => loadAuthConfig({ JWT_ALGORITHM: "ES256", JWT_PRIVATE_KEY: p384.privateKey, JWT_PUBLIC_KEY: p384.publicKey })).toThrow(/P-256/);
  });

  it("loads RS256 keys", () => {
    const rsa = rsaKeyPair();
    const config = loadAuthConfig({
      JWT_ALGORITHM: "RS256",
      JWT_PRIVATE_KEY: rsa.privateKey,
      JWT_PUBLIC_KEY: rsa.publicKey,
    });
    expect(config.verificationKey.asymmetricKeyType).toBe("rsa");
  });
});
