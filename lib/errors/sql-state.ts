/**
 * PostgreSQL's error code (SQLSTATE) of an error, wherever it sits: pg's
 * DatabaseError carries it as `code`; objection wraps that error in one of
 * its DBError classes, which keeps the original as `nativeError`.
 */
export const SQLSTATE = {
  NOT_NULL_VIOLATION: "23502",
  FOREIGN_KEY_VIOLATION: "23503",
  UNIQUE_VIOLATION: "23505",
  CHECK_VIOLATION: "23514",
} as const;

const SQLSTATE_FORM = /^[0-9A-Z]{5}$/;

/** pg's error, or the one objection wrapped; null when `error` is neither. */
function databaseError(error: unknown): { code: string; constraint?: unknown } | null {
  for (let candidate = error, depth = 0; depth < 2 && typeof candidate === "object" && candidate !== null; depth++) {
    const { code, nativeError } = candidate as { code?: unknown; nativeError?: unknown };
    if (typeof code === "string" && SQLSTATE_FORM.test(code)) return candidate as { code: string; constraint?: unknown };
    candidate = nativeError;
  }
  return null;
}

/** The five-character SQLSTATE, or null when the error is not the database's (a driver or network error carries other codes, such as ECONNREFUSED). */
export function sqlStateOf(error: unknown): string | null {
  return databaseError(error)?.code ?? null;
}

/** The constraint a violation names (`categories_name_unique`), so a refusal is told apart from another of the same SQLSTATE. */
export function violatedConstraint(error: unknown): string | null {
  const constraint = databaseError(error)?.constraint;
  return typeof constraint === "string" ? constraint : null;
}
