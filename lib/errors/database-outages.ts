/**
 * A database that cannot be reached is an outage to retry, not a fault of
 * the service's code: while Postgres restarts, a token refresh answered
 * 500 INTERNAL_ERROR (seen in the soak's `restart-postgres`). Such errors
 * leave a node as a retryable 503 SERVICE_UNAVAILABLE, which the gateway
 * answers with Retry-After (DatabaseErrors in database-refusals.ts turns them); the circuit breaker still counts them, since
 * the service cannot do its work. Nothing was written: the statement or its
 * transaction never reached the database, or was ended with it.
 */
import { Errors } from "moleculer";
import { sqlStateOf } from "./sql-state";

const { MoleculerRetryableError } = Errors;

/**
 * SQLSTATE class 08 (connection exception), 57P01–57P03 (the server is
 * shutting down, crashed, or not yet taking connections) and 53300 (too many
 * connections).
 */
const OUTAGE_SQLSTATE = /^(08...|57P0[123]|53300)$/;
/** Errors of the socket under the driver. */
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH"]);
/** pg's own errors for a connection lost mid-query carry no code, only these messages. */
const LOST_CONNECTION = /^Connection (terminated|ended) unexpectedly|^Connection terminated$/;

export function isDatabaseOutage(error: unknown): boolean {
  if (typeof error !== "object" || error === null || error instanceof Errors.MoleculerError) return false;
  const sqlState = sqlStateOf(error);
  if (sqlState !== null) return OUTAGE_SQLSTATE.test(sqlState);
  const { code, name, message } = error as { code?: unknown; name?: unknown; message?: unknown };
  // knex: no pooled connection could be made within acquireConnectionTimeout.
  if (name === "KnexTimeoutError") return true;
  if (typeof code === "string" && SOCKET_CODES.has(code)) return true;
  return typeof message === "string" && LOST_CONNECTION.test(message);
}

/** The retryable 503 a lost database stands for, or null when `error` is something else. */
export function asUnavailableError(error: unknown): InstanceType<typeof MoleculerRetryableError> | null {
  if (!isDatabaseOutage(error)) return null;
  return new MoleculerRetryableError("The database is unavailable; try again shortly", 503, "SERVICE_UNAVAILABLE", { cause: (error as Error).message });
}
