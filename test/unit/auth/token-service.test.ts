import { createHmac, generateKeyPairSync } from "crypto";
import jwt from "jsonwebtoken";
import { AuthConfig, loadAuthConfig } from "../../../lib/auth/auth-config";
import { hashRefreshToken, InvalidTokenError, InvalidTokenReason, TokenService } from "../../../lib/auth/token-service";

const SECRET = "unit-test-secret-that-is-at-least-32-bytes-long";
const config: AuthConfig = loadAuthConfig({ NODE_ENV: "test", JWT_SECRET: SECRET });
const customer = { customerId: "42", role: "customer" } as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const p256KeyPair = () =>
  generateKeyPairSync("ec", {
    namedCurve: "P-256",
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** Claims our own service would issue, for hand-built tokens that differ in exactly one way. */
function claimsLike(typ: "access" | "refresh", overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: "42",
    jti: "5d1c3a36-6a3f-4a55-9a8e-2f4f1b1c2d3e",
    iss: "saga-shop",
    aud: "saga-shop-api",
    iat: now,
    exp: now + 600,
    role: "customer",
    typ,
    ...(typ === "refresh" ? { fam: "family-1" } : {}),
    ...overrides,
  };
}

/** noTimestamp: jsonwebtoken would otherwise add an `iat` the test may have deliberately left out. */
function signHs256(claims: object, secret = SECRET): string {
  return jwt.sign(claims, secret, { algorithm: "HS256", noTimestamp: true });
}

function reasonOf(verify: () => unknown): InvalidTokenReason {
  try {
    verify();
  } catch (error) {
    if (error instanceof InvalidTokenError) return error.reason;
    throw error;
  }
  throw new Error("expected the token to be rejected");
}

describe("TokenService (HS256)", () => {
  const tokens = new TokenService(config);

  it("issues an access token that verifies with all its claims", () => {
    const issued = tokens.issueAccessToken(customer);
    const claims = tokens.verifyAccessToken(issued.token);

    expect(claims).toEqual(issued.claims);
    expect(claims).toMatchObject({ sub: "42", role: "customer", typ: "access" });
    expect(claims).toMatchObject({ iss: "saga-shop", aud: "saga-shop-api" });
    expect(claims.jti).toMatch(UUID);
    expect(claims.exp - claims.iat).toBe(15 * 60);
    expect(issued.expiresAt.getTime()).toBe(claims.exp * 1000);
    expect(jwt.decode(issued.token, { complete: true })?.header.alg).toBe("HS256");
  });

  it("issues a refresh token with a new family, its hash, and a 30-day lifetime", () => {
    const issued = tokens.issueRefreshToken({ customerId: "7", role: "admin" });
    const claims = tokens.verifyRefreshToken(issued.token);

    expect(claims).toEqual(issued.claims);
    expect(claims).toMatchObject({ sub: "7", role: "admin", typ: "refresh" });
    expect(claims.fam).toMatch(UUID);
    expect(claims.exp - claims.iat).toBe(30 * 24 * 60 * 60);
    expect(issued.tokenHash).toBe(hashRefreshToken(issued.token));
  });

  it("keeps the family when rotating and gives each token its own jti", () => {
    const first = tokens.issueRefreshToken(customer);
    const rotated = tokens.issueRefreshToken(customer, first.claims.fam);

    expect(rotated.claims.fam).toBe(first.claims.fam);
    expect(rotated.claims.jti).not.toBe(first.claims.jti);
    expect(tokens.issueRefreshToken(customer).claims.fam).not.toBe(first.claims.fam);
  });

  it("never accepts a refresh token as an access token, or the reverse", () => {
    const access = tokens.issueAccessToken(customer).token;
    const refresh = tokens.issueRefreshToken(customer).token;

    expect(reasonOf(() => tokens.verifyAccessToken(refresh))).toBe("wrong_type");
    expect(reasonOf(() => tokens.verifyRefreshToken(access))).toBe("wrong_type");
  });

  it("rejects an unsigned alg:none token", () => {
    const unsigned = `${base64url({ alg: "none", typ: "JWT" })}.${base64url(claimsLike("access"))}.`;

    const error = (() => {
      try {
        tokens.verifyAccessToken(unsigned);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(InvalidTokenError);
    expect((error as InvalidTokenError).reason).toBe("wrong_algorithm");
  });

  it("rejects a token signed with another algorithm, even with the right secret", () => {
    const hs512 = jwt.sign(claimsLike("access"), SECRET, { algorithm: "HS512" });
    expect(reasonOf(() => tokens.verifyAccessToken(hs512))).toBe("wrong_algorithm");
  });

  it("rejects a token signed with another secret", () => {
    const forged = signHs256(claimsLike("access"), "some-other-secret-that-is-32-bytes-long!!");
    expect(reasonOf(() => tokens.verifyAccessToken(forged))).toBe("bad_signature");
  });

  it("rejects a token whose payload was altered after signing", () => {
    const [header, , signature] = tokens.issueAccessToken(customer).token.split(".");
    const promoted = `${header}.${base64url(claimsLike("access", { role: "admin" }))}.${signature}`;
    expect(reasonOf(() => tokens.verifyAccessToken(promoted))).toBe("bad_signature");
  });

  it("rejects tokens for another issuer or audience", () => {
    const otherIssuer = new TokenService({ ...config, issuer: "someone-else" }).issueAccessToken(customer).token;
    const otherAudience = new TokenService({ ...config, audience: "another-api" }).issueRefreshToken(customer).token;

    expect(reasonOf(() => tokens.verifyAccessToken(otherIssuer))).toBe("wrong_issuer");
    expect(reasonOf(() => tokens.verifyRefreshToken(otherAudience))).toBe("wrong_audience");
  });

  it("rejects an expired token", () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = signHs256(claimsLike("access", { iat: now - 3600, exp: now - 60 }));
    expect(reasonOf(() => tokens.verifyAccessToken(expired))).toBe("expired");
  });

  it("expires access tokens after their TTL, judged by the injected clock", () => {
    const issuedAt = Date.UTC(2030, 0, 1);
    const token = new TokenService(config, () => issuedAt).issueAccessToken(customer).token;

    expect(() => new TokenService(config, () => issuedAt + 14 * 60_000).verifyAccessToken(token)).not.toThrow();
    const atExpiry = new TokenService(config, () => issuedAt + 15 * 60_000);
    expect(reasonOf(() => atExpiry.verifyAccessToken(token))).toBe("expired");
  });

  it("rejects a token that is not valid yet", () => {
    const early = signHs256(claimsLike("access", { nbf: Math.floor(Date.now() / 1000) + 600 }));
    expect(reasonOf(() => tokens.verifyAccessToken(early))).toBe("not_yet_valid");
  });

  it("rejects correctly signed tokens without typ or with an unknown typ", () => {
    const { typ: _omitted, ...withoutTyp } = claimsLike("access");
    expect(reasonOf(() => tokens.verifyAccessToken(signHs256(withoutTyp)))).toBe("wrong_type");
    expect(reasonOf(() => tokens.verifyAccessToken(signHs256(claimsLike("access", { typ: "id" }))))).toBe("wrong_type");
  });

  it("rejects correctly signed tokens missing a required claim or with an unknown role", () => {
    for (const claim of ["sub", "jti", "role", "exp", "iat"]) {
      const claims = claimsLike("access");
      delete claims[claim];
      expect(reasonOf(() => tokens.verifyAccessToken(signHs256(claims)))).toBe("missing_claims");
    }
    expect(reasonOf(() => tokens.verifyAccessToken(signHs256(claimsLike("access", { role: "root" }))))).toBe("missing_claims");
    const { fam: _omitted, ...refreshWithoutFamily } = claimsLike("refresh");
    expect(reasonOf(() => tokens.verifyRefreshToken(signHs256(refreshWithoutFamily)))).toBe("missing_claims");
  });

  it("rejects strings that are not JWTs", () => {
    for (const garbage of ["", "not-a-jwt", "a.b.c", "a.b"]) {
      expect(reasonOf(() => tokens.verifyAccessToken(garbage))).toBe("malformed");
    }
  });

  it("rejects a correctly signed token whose payload is not a JSON object", () => {
    // With typ "JWT" the decoder parses the payload as JSON (and throws on non-JSON); without it, it stays a string.
    const payloads = [
      [{ alg: "HS256", typ: "JWT" }, "not json"],
      [{ alg: "HS256" }, "not json"],
      [{ alg: "HS256", typ: "JWT" }, "null"],
      [{ alg: "HS256", typ: "JWT" }, "[1]"],
    ] as const;
    for (const [header, payload] of payloads) {
      const signingInput = `${base64url(header)}.${Buffer.from(payload).toString("base64url")}`;
      const signature = createHmac("sha256", SECRET).update(signingInput).digest("base64url");
      expect(reasonOf(() => tokens.verifyAccessToken(`${signingInput}.${signature}`))).toBe("malformed");
    }
  });
});

describe("TokenService (ES256)", () => {
  const { privateKey, publicKey } = p256KeyPair();
  const esConfig = loadAuthConfig({ JWT_ALGORITHM: "ES256", JWT_PRIVATE_KEY: privateKey, JWT_PUBLIC_KEY: publicKey });
  const tokens = new TokenService(esConfig);

  it("signs with the private key and verifies with the public key", () => {
    const issued = tokens.issueAccessToken(customer);

    expect(jwt.decode(issued.token, { complete: true })?.header.alg).toBe("ES256");
    expect(tokens.verifyAccessToken(issued.token)).toEqual(issued.claims);
  });

  it("rejects an HS256 token keyed with the public key (algorithm confusion)", () => {
    const signingInput = `${base64url({ alg: "HS256", typ: "JWT" })}.${base64url(claimsLike("access"))}`;
    const signature = createHmac("sha256", publicKey).update(signingInput).digest("base64url");

    expect(reasonOf(() => tokens.verifyAccessToken(`${signingInput}.${signature}`))).toBe("wrong_algorithm");
  });

  it("rejects a token from an HS256 deployment", () => {
    const hsToken = new TokenService(config).issueAccessToken(customer).token;
    expect(reasonOf(() => tokens.verifyAccessToken(hsToken))).toBe("wrong_algorithm");
  });

  it("rejects an ES256 token signed by another key pair", () => {
    const other = p256KeyPair();
    const otherTokens = new TokenService(loadAuthConfig({ JWT_ALGORITHM: "ES256", JWT_PRIVATE_KEY: other.privateKey, JWT_PUBLIC_KEY: other.publicKey }));
    const foreignToken = otherTokens.issueAccessToken(customer).token;
    expect(reasonOf(() => tokens.verifyAccessToken(foreignToken))).toBe("bad_signature");
  });
});

describe("hashRefreshToken", () => {
  it("is the SHA-256 hex digest: stable per token, different across tokens", () => {
    expect(hashRefreshToken("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hashRefreshToken("abd")).not.toBe(hashRefreshToken("abc"));
  });
});
