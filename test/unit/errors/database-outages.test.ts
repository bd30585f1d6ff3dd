import { Errors, ServiceBroker } from "moleculer";
import { isDatabaseOutage } from "../../../lib/errors/database-outages";
import { DatabaseErrors, isServiceFailure } from "../../../lib/errors/database-refusals";
import { errorResponse } from "../../../services/api/error-response";
import { wrappedByObjection } from "../../support/objection-errors";

const withCode = (code: string, message = "from the database") => Object.assign(new Error(message), { code });

describe("isDatabaseOutage", () => {
  it.each([
    ["the server shutting down (57P01)", withCode("57P01")],
    ["the server starting up (57P03)", withCode("57P03")],
    ["a connection failure (08006)", withCode("08006")],
    ["too many connections (53300)", withCode("53300")],
    ["a refused socket", withCode("ECONNREFUSED")],
    ["a reset socket", withCode("ECONNRESET")],
    ["pg's lost connection", new Error("Connection terminated unexpectedly")],
    ["pg's ended connection", new Error("Connection ended unexpectedly")],
    ["knex's pool timeout", Object.assign(new Error("Knex: Timeout acquiring a connection."), { name: "KnexTimeoutError" })],
    ["an outage wrapped by objection", wrappedByObjection(withCode("57P01"))],
  ])("sees %s", (_what, error) => {
    expect(isDatabaseOutage(error)).toBe(true);
  });

  it.each([
    ["a refused value (22021)", withCode("22021")],
    ["a duplicate (23505)", withCode("23505")],
    ["a serialization failure (40001)", withCode("40001")],
    ["a bug", new TypeError("cannot read properties of undefined")],
    ["an answer of the service's own", new Errors.MoleculerClientError("no", 404, "NOT_FOUND")],
    ["nothing", null],
  ])("leaves %s alone", (_what, error) => {
    expect(isDatabaseOutage(error)).toBe(false);
  });
});

describe("DatabaseErrors, for a lost database", () => {
  const broker = new ServiceBroker({ logger: false, middlewares: [DatabaseErrors] });
  broker.createService({
    name: "store",
    actions: {
      read: () => Promise.reject(withCode("57P01", "terminating connection due to administrator command")),
      broken: () => Promise.reject(new TypeError("a bug")),
    },
  });
  beforeAll(() => broker.start());
  afterAll(() => broker.stop());

  it("answers a lost database as a retryable 503, which the gateway says as SERVICE_UNAVAILABLE and the circuit breaker counts", async () => {
    const error = await broker.call("store.read").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Errors.MoleculerRetryableError);
    expect(error).toMatchObject({ code: 503, type: "SERVICE_UNAVAILABLE", retryable: true });
    expect(errorResponse(error as Errors.MoleculerError).error).toMatchObject({ status: 503, type: "SERVICE_UNAVAILABLE" });
    expect(isServiceFailure(error)).toBe(true);
  });

  it("leaves any other failure as it was", async () => {
    await expect(broker.call("store.broken")).rejects.toBeInstanceOf(TypeError);
  });
});
