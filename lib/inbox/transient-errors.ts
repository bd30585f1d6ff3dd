/**
 * Which errors are worth waiting out. A transient error says nothing about
 * the message being applied: the database, Redis or Kafka was unreachable or
 * restarting, or refused this one attempt (serialization failure, deadlock,
 * lock timeout), and the same message applies once that passes. Any other
 * error may be about the message itself.
 *
 * Errors are recognised by their shape (code, name, message, flags), not by
 * class, so this module needs none of the client libraries; wrapped errors
 * are recognised by what they wrap.
 */

import { sqlStateOf } from "../errors/sql-state";

// Node's socket and DNS errors. ENOTFOUND too: a stopped container's host name stops resolving.
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ECONNABORTED", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ENOTFOUND"]);

// PostgreSQL SQLSTATEs: 40001 serialization_failure, 40P01 deadlock_detected, 55P03 lock_not_available,
// 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now.
const SQLSTATES = new Set(["40001", "40P01", "55P03", "57P01", "57P02", "57P03"]);
// Whole classes: 08 connection exception, 53 insufficient resources (disk full, out of memory, too many connections).
const SQLSTATE_CLASSES = new Set(["08", "53"]);

const TRANSIENT_NAMES = new Set([
  // ioredis: no node of the cluster answered; a command gave up while the connection was down.
  "ClusterAllFailedError",
  "MaxRetriesPerRequestError",
]);

const TRANSIENT_MESSAGES = [
  // pg: the server went away mid-session, or could not be reached in time.
  /^Connection terminated/,
  /is not queryable$/,
  /^timeout expired$/,
  /^timeout exceeded when trying to connect$/,
  // knex: every pooled connection is busy or being re-established.
  /Timeout acquiring a connection/,
  // ioredis, standalone and cluster.
  /^Connection is closed\.$/,
  /^Cluster is disconnected\.$/,
  /^None of startup nodes is available$/,
  /enableOfflineQueue options is false$/,
  /^Too many Cluster redirections/,
  /^Node is disconnected$/,
  // Redis replies while a cluster heals (READONLY: a demoted primary, until the client follows the failover).
  /^(CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN|READONLY)\b/,
];

interface ErrorShape {
  code?: unknown;
  name?: unknown;
  message?: unknown;
  /** kafkajs marks errors it would retry itself. */
  retriable?: unknown;
  /** Moleculer marks its retryable errors (request timeout, service or channel adapter not available). */
  retryable?: unknown;
  cause?: unknown;
  /** ioredis ClusterAllFailedError. */
  lastNodeError?: unknown;
  /** AggregateError, e.g. a connect that tried several addresses. */
  errors?: unknown;
}

function isTransientItself(error: ErrorShape): boolean {
  if (error.retriable === true || error.retryable === true) return true;
  if (typeof error.code === "string" && NETWORK_CODES.has(error.code)) return true;
  // Also the SQLSTATE of pg's error that objection wrapped (see sqlStateOf).
  const sqlState = sqlStateOf(error);
  if (sqlState !== null && (SQLSTATES.has(sqlState) || SQLSTATE_CLASSES.has(sqlState.slice(0, 2)))) return true;
  if (typeof error.name === "string" && TRANSIENT_NAMES.has(error.name)) return true;
  return typeof error.message === "string" && TRANSIENT_MESSAGES.some((pattern) => pattern.test(error.message as string));
}

/** True when the error, or an error it wraps, is one that passes by itself (see the module comment). */
export function isTransientError(error: unknown): boolean {
  // Breadth-first through what each error wraps; bounded, so a cycle cannot loop.
  const queue: unknown[] = [error];
  for (let seen = 0; seen < queue.length && seen < 16; seen++) {
    const candidate = queue[seen];
    if (typeof candidate !== "object" || candidate === null) continue;
    const shape: ErrorShape = candidate;
    if (isTransientItself(shape)) return true;
    queue.push(shape.cause, shape.lastNodeError, ...(Array.isArray(shape.errors) ? shape.errors : []));
  }
  return false;
}
