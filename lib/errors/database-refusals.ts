/**
 * A value the database refuses is the request's fault, not the service's: a
 * NUL byte in a name, an id beyond bigint, a null where a column needs a
 * value. Validation at the edge should catch these first; this is the net
 * behind it, so such a request gets a 4xx in the one error shape instead of
 * a 500, and the circuit breaker, which counts only the service's own
 * failures, never opens on a client's bad input. The transaction the error
 * came from rolled back, so nothing was written.
 */
import { Errors, type ActionHandler, type Context, type Middleware } from "moleculer";
import { asUnavailableError } from "./database-outages";
import { SERVICE_BUSY } from "./service-busy";
import { SQLSTATE, sqlStateOf } from "./sql-state";

const { MoleculerClientError } = Errors;

/** The SQLSTATEs (PostgreSQL's error codes) that say "this value cannot be stored", with the answer each gets. */
function refusalStatus(sqlState: string): { status: number; type: string } | null {
  // Class 22, data exception: out-of-range numbers, invalid text for a type, bytes the encoding forbids, strings too long.
  if (sqlState.startsWith("22")) return { status: 422, type: "INVALID_VALUE" };
  switch (sqlState) {
    case SQLSTATE.NOT_NULL_VIOLATION:
    case SQLSTATE.FOREIGN_KEY_VIOLATION: // a referenced id that does not exist
    case SQLSTATE.CHECK_VIOLATION:
      return { status: 422, type: "INVALID_VALUE" };
    case SQLSTATE.UNIQUE_VIOLATION: // one the service did not expect to meet
      return { status: 409, type: "CONFLICT" };
    default:
      return null;
  }
}

/** The client error a database refusal stands for, or null when `error` is something else (which stays a failure). */
export function asClientError(error: unknown): InstanceType<typeof MoleculerClientError> | null {
  if (error instanceof MoleculerClientError) return null;
  const sqlState = sqlStateOf(error);
  if (sqlState === null) return null;
  const refusal = refusalStatus(sqlState);
  if (!refusal) return null;
  return new MoleculerClientError("A value in the request cannot be accepted", refusal.status, refusal.type, { sqlState });
}

/**
 * Turns database errors thrown by a node's own actions into what they mean
 * before they leave the node: a refusal into a client error, a lost database
 * into a retryable 503 (database-outages.ts); anything else stays as it was.
 */
export const DatabaseErrors: Middleware = {
  localAction(next: ActionHandler) {
    return async (ctx: Context) => {
      try {
        return await next(ctx);
      } catch (error) {
        throw asClientError(error) ?? asUnavailableError(error) ?? error;
      }
    };
  },
};

/**
 * For the circuit breaker: does this error say the called service failed?
 * Moleculer's own errors carry an HTTP-like number (4xx: the request was
 * refused, the service is fine). Anything else (a timeout, a crash, a
 * lost database) counts; the default check compared codes as numbers, and a
 * SQLSTATE such as "22021" passed for a 5xx. A service's deliberate "busy"
 * is not a failure either.
 */
export function isServiceFailure(error: unknown): boolean {
  const { code, type } = (error as { code?: unknown; type?: unknown } | null) ?? {};
  if (type === SERVICE_BUSY) return false;
  return typeof code === "number" ? code >= 500 : true;
}
