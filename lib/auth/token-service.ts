import { createHash, randomUUID } from "crypto";
import jwt, { JsonWebTokenError, JwtPayload, NotBeforeError, TokenExpiredError } from "jsonwebtoken";
import type { AuthConfig } from "./auth-config";

export const ROLES = ["customer", "admin"] as const;
export type Role = (typeof ROLES)[number];
export type TokenType = "access" | "refresh";

interface CommonClaims {
  /** Customer id. */
  sub: string;
  jti: string;
  iss: string;
  aud: string;
  iat: number;
  exp: number;
  role: Role;
}

export interface AccessTokenClaims extends CommonClaims {
  typ: "access";
}

export interface RefreshTokenClaims extends CommonClaims {
  typ: "refresh";
  /** Token family: every refresh token rotated from one login shares it, so reuse can revoke them all. */
  fam: string;
}

export interface TokenSubject {
  customerId: string;
  role: Role;
}

export interface IssuedAccessToken {
  token: string;
  claims: AccessTokenClaims;
  expiresAt: Date;
}

export interface IssuedRefreshToken {
  token: string;
  /** What gets stored; the token itself never is. */
  tokenHash: string;
  claims: RefreshTokenClaims;
  expiresAt: Date;
}

export type InvalidTokenReason =
  "malformed" | "wrong_algorithm" | "bad_signature" | "expired" | "not_yet_valid" | "wrong_issuer" | "wrong_audience" | "wrong_type" | "missing_claims";

/** Every way a token can be unacceptable; the gateway maps all of them to 401. */
export class InvalidTokenError extends Error {
  override readonly name = "InvalidTokenError";

  constructor(
    readonly reason: InvalidTokenReason,
    options?: { cause?: unknown },
  ) {
    super(`Invalid token: ${reason}`, options);
  }
}

/**
 * Refresh tokens are signed and carry a random jti, so (unlike passwords) an unsalted fast hash
 * already makes a leaked table useless.
 */
export function hashRefreshToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export class TokenService {
  constructor(
    private readonly config: AuthConfig,
    private readonly nowMillis: () => number = Date.now,
  ) {}

  issueAccessToken(subject: TokenSubject): IssuedAccessToken {
    const claims: AccessTokenClaims = {
      ...this.commonClaims(subject, this.config.accessTokenTtlSeconds),
      typ: "access",
    };
    return { token: this.sign(claims), claims, expiresAt: new Date(claims.exp * 1000) };
  }

  /** Omit `family` at login to start a new family; pass the old token's `fam` when rotating. */
  issueRefreshToken(subject: TokenSubject, family: string = randomUUID()): IssuedRefreshToken {
    const claims: RefreshTokenClaims = {
      ...this.commonClaims(subject, this.config.refreshTokenTtlSeconds),
      typ: "refresh",
      fam: family,
    };
    const token = this.sign(claims);
    return { token, tokenHash: hashRefreshToken(token), claims, expiresAt: new Date(claims.exp * 1000) };
  }

  /** @throws InvalidTokenError */
  verifyAccessToken(token: string): AccessTokenClaims {
    const { claims } = this.verify(token, "access");
    return { ...claims, typ: "access" };
  }

  /** @throws InvalidTokenError */
  verifyRefreshToken(token: string): RefreshTokenClaims {
    const { claims, payload } = this.verify(token, "refresh");
    if (!isNonEmptyString(payload.fam)) {
      throw new InvalidTokenError("missing_claims");
    }
    return { ...claims, typ: "refresh", fam: payload.fam };
  }

  private commonClaims(subject: TokenSubject, ttlSeconds: number): CommonClaims {
    const issuedAt = Math.floor(this.nowMillis() / 1000);
    return {
      sub: subject.customerId,
      jti: randomUUID(),
      iss: this.config.issuer,
      aud: this.config.audience,
      iat: issuedAt,
      exp: issuedAt + ttlSeconds,
      role: subject.role,
    };
  }

  private sign(claims: AccessTokenClaims | RefreshTokenClaims): string {
    return jwt.sign(claims, this.config.signingKey, { algorithm: this.config.algorithm });
  }

  private verify(token: string, expectedType: TokenType): { claims: CommonClaims; payload: JwtPayload } {
    // Checked before verifying so `alg: none` and algorithm-confusion tokens get a precise reason;
    // jwt.verify below pins the same single algorithm as well.
    const algorithm = headerAlgorithm(token);
    if (algorithm === undefined) {
      throw new InvalidTokenError("malformed");
    }
    if (algorithm !== this.config.algorithm) {
      throw new InvalidTokenError("wrong_algorithm");
    }

    let payload: JwtPayload | string;
    try {
      payload = jwt.verify(token, this.config.verificationKey, {
        algorithms: [this.config.algorithm],
        issuer: this.config.issuer,
        audience: this.config.audience,
        clockTimestamp: Math.floor(this.nowMillis() / 1000),
      });
    } catch (error) {
      throw new InvalidTokenError(reasonForVerifyError(error), { cause: error });
    }
    // Ruled out by headerAlgorithm already; this narrows the type.
    if (typeof payload === "string") {
      throw new InvalidTokenError("malformed");
    }

    if (payload.typ !== expectedType) {
      throw new InvalidTokenError("wrong_type");
    }
    const { sub, jti, iat, exp, role } = payload;
    // jsonwebtoken accepts tokens without exp; ours always carry one, so its absence means forgery or a bug.
    const hasRequiredClaims = isNonEmptyString(sub) && isNonEmptyString(jti) && isRole(role) && typeof iat === "number" && typeof exp === "number";
    if (!hasRequiredClaims) {
      throw new InvalidTokenError("missing_claims");
    }
    return {
      claims: { sub, jti, iss: this.config.issuer, aud: this.config.audience, iat, exp, role },
      payload,
    };
  }
}

/** The header's `alg`, or undefined unless the token decodes to a header and a JSON object payload. */
function headerAlgorithm(token: unknown): string | undefined {
  if (typeof token !== "string") return undefined;
  try {
    const decoded = jwt.decode(token, { complete: true });
    const payload: unknown = decoded?.payload;
    const isObject = typeof payload === "object" && payload !== null && !Array.isArray(payload);
    return isObject ? decoded?.header.alg : undefined;
  } catch {
    // decode throws, rather than returning null, on a `typ: "JWT"` header over a non-JSON payload.
    return undefined;
  }
}

function reasonForVerifyError(error: unknown): InvalidTokenReason {
  if (error instanceof TokenExpiredError) return "expired";
  if (error instanceof NotBeforeError) return "not_yet_valid";
  // jsonwebtoken has no error codes; these messages are pinned by the unit tests.
  if (error instanceof JsonWebTokenError) {
    if (error.message === "invalid signature") return "bad_signature";
    if (error.message === "invalid algorithm") return "wrong_algorithm";
    if (error.message.startsWith("jwt issuer invalid")) return "wrong_issuer";
    if (error.message.startsWith("jwt audience invalid")) return "wrong_audience";
  }
  // Anything else came from attacker-controlled input (bad encoding, non-numeric exp, ...).
  return "malformed";
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

function isRole(value: unknown): value is Role {
  return ROLES.some((role) => role === value);
}
