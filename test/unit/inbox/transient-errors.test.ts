import { wrappedByObjection } from "../../support/objection-errors";
import { backoffDelay, reportThrottle } from "../../../lib/inbox/backoff";
import { isTransientError } from "../../../lib/inbox/transient-errors";

const withCode = (code: unknown, message = "failed") => Object.assign(new Error(message), { code });
const named = (name: string, message = "failed") => Object.assign(new Error(message), { name });

describe("isTransientError", () => {
  test.each([
    ["a refused connection", withCode("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:15432")],
    ["a reset connection", withCode("ECONNRESET")],
    ["a timed-out connection", withCode("ETIMEDOUT")],
    ["a broken pipe", withCode("EPIPE")],
    ["pg: connection terminated", new Error("Connection terminated unexpectedly")],
    ["pg: a client that lost its connection", new Error("Client has encountered a connection error and is not queryable")],
    ["SQLSTATE 08006 connection_failure", withCode("08006")],
    ["SQLSTATE 08P01 protocol_violation (class 08)", withCode("08P01")],
    ["SQLSTATE 40001 serialization_failure", withCode("40001")],
    ["SQLSTATE 40P01 deadlock_detected", withCode("40P01")],
    ["a deadlock as objection wraps it", wrappedByObjection(withCode("40P01"))],
    ["SQLSTATE 57P01 admin_shutdown", withCode("57P01", "terminating connection due to administrator command")],
    ["SQLSTATE 57P02 crash_shutdown", withCode("57P02")],
    ["SQLSTATE 57P03 cannot_connect_now", withCode("57P03", "the database system is starting up")],
    ["SQLSTATE 53300 too_many_connections", withCode("53300")],
    ["SQLSTATE 53100 disk_full", withCode("53100")],
    ["SQLSTATE 55P03 lock_not_available", withCode("55P03")],
    ["knex: a pool with no connection to give", named("KnexTimeoutError", "Knex: Timeout acquiring a connection. The pool is probably full.")],
    ["ioredis: connection closed", new Error("Connection is closed.")],
    ["ioredis: no cluster node answering", named("ClusterAllFailedError", "Failed to refresh slots cache.")],
    ["ioredis: a command out of retries", named("MaxRetriesPerRequestError", "Reached the max retries per request limit (which is 20).")],
    ["Redis: CLUSTERDOWN", named("ReplyError", "CLUSTERDOWN The cluster is down")],
    ["kafkajs: an error it marks retriable", Object.assign(named("KafkaJSConnectionError", "Connection error: connect ECONNREFUSED"), { retriable: true })],
    ["Moleculer: a retryable error", Object.assign(named("MoleculerRetryableError", "Adapter not yet connected. Skipping publishing."), { retryable: true })],
    [
      "kafkajs: retries exhausted on a retriable cause",
      Object.assign(named("KafkaJSNumberOfRetriesExceeded", "Connection timeout"), {
        retriable: false,
        cause: Object.assign(new Error("Connection timeout"), { retriable: true }),
      }),
    ],
    ["an AggregateError of refused connections", new AggregateError([withCode("ECONNREFUSED"), withCode("ECONNREFUSED")], "connect failed")],
    ["an error caused by a serialization failure", new Error("saga store failed", { cause: withCode("40001") })],
  ])("%s is transient", (_, error) => {
    expect(isTransientError(error)).toBe(true);
  });

  test.each([
    ["a plain error", new Error("boom")],
    ["SQLSTATE 23505 unique_violation", withCode("23505")],
    ["SQLSTATE 23514 check_violation", withCode("23514")],
    ["SQLSTATE 22003 numeric_value_out_of_range", withCode("22003")],
    ["SQLSTATE 42P01 undefined_table", withCode("42P01")],
    ["a type error", new TypeError("Cannot read properties of undefined")],
    ["kafkajs: an error it will not retry", Object.assign(named("KafkaJSNonRetriableError", "Invalid message"), { retriable: false })],
    ["a numeric code", withCode(40001)],
    ["not an error at all", "boom"],
    ["null", null],
  ])("%s is not transient", (_, error) => {
    expect(isTransientError(error)).toBe(false);
  });

  test("a cycle of causes ends", () => {
    const a: Error & { cause?: unknown } = new Error("a");
    a.cause = new Error("b", { cause: a });
    expect(isTransientError(a)).toBe(false);
  });
});

describe("backoffDelay", () => {
  test("doubles from the initial wait up to the cap, and stays there", () => {
    const backoff = { initialMs: 100, maxMs: 5_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 1_000].map((n) => backoffDelay(n, backoff))).toEqual([100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000]);
  });
});

describe("reportThrottle", () => {
  test("reports the first failure, then at most once per interval", () => {
    let now = 0;
    const shouldReport = reportThrottle(1_000, () => now);
    const reported = [0, 100, 999, 1_000, 1_500, 2_100].map((at) => {
      now = at;
      return shouldReport();
    });
    expect(reported).toEqual([true, false, false, true, false, true]);
  });
});
