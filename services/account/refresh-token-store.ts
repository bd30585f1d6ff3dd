/**
 * Refresh-token rotation with reuse detection. Each refresh token can be
 * exchanged once; presenting one that was already exchanged means it leaked
 * (or a client raced itself), so its whole family is revoked.
 */
import type { Knex } from "knex";
import { type IssuedRefreshToken, hashRefreshToken } from "../../lib/auth/token-service";
import { RefreshToken } from "./account-models";

export type RotationOutcome = { kind: "rotated"; customerId: string; familyId: string } | { kind: "unknown" } | { kind: "revoked" } | { kind: "reused" };

export async function storeRefreshToken(trx: Knex.Transaction, issued: IssuedRefreshToken): Promise<void> {
  await RefreshToken.query(trx).insert({
    id: issued.claims.jti,
    family_id: issued.claims.fam,
    customer_id: issued.claims.sub,
    token_hash: issued.tokenHash,
    expires_at: issued.expiresAt,
  });
}

/**
 * Marks the presented token used, if it may be; the caller stores the
 * replacement in the same transaction. A reuse revokes the family, and that
 * revocation must be committed even though the request fails.
 */
export async function consumeRefreshToken(trx: Knex.Transaction, token: string): Promise<RotationOutcome> {
  const row = await RefreshToken.query(trx)
    .findOne({ token_hash: hashRefreshToken(token) })
    .forUpdate();
  if (!row) return { kind: "unknown" };
  if (row.revoked_at) return { kind: "revoked" };
  if (row.used_at) {
    await RefreshToken.query(trx).where({ family_id: row.family_id }).whereNull("revoked_at").patch({ revoked_at: trx.fn.now() });
    return { kind: "reused" };
  }
  await row.$query(trx).patch({ used_at: trx.fn.now() });
  return { kind: "rotated", customerId: row.customer_id, familyId: row.family_id };
}
