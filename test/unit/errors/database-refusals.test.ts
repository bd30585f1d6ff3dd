import { Errors } from "moleculer";
import { wrappedByObjection } from "../../support/objection-errors";
import { asClientError, isServiceFailure } from "../../../lib/errors/database-refusals";

/** What pg's DatabaseError looks like to the code that catches it. */
const databaseError = (code: string) => Object.assign(new Error("refused by the database"), { code });

describe("asClientError", () => {
  it.each([
    ["22021", "a NUL byte in text", 422, "INVALID_VALUE"],
    ["22003", "a number beyond bigint", 422, "INVALID_VALUE"],
    ["22P02", "text that is not a number", 422, "INVALID_VALUE"],
    ["23502", "a null where a value is needed", 422, "INVALID_VALUE"],
    ["23503", "a reference to nothing", 422, "INVALID_VALUE"],
    ["23514", "a failed check", 422, "INVALID_VALUE"],
    ["23505", "a duplicate the service did not expect", 409, "CONFLICT"],
  ])("turns SQLSTATE %s (%s) into a %i %s", (code, _what, status, type) => {
    const answer = asClientError(databaseError(code));
    expect(answer).toBeInstanceOf(Errors.MoleculerClientError);
    expect(answer?.code).toBe(status);
    expect(answer?.type).toBe(type);
  });

  it("sees through objection's wrapper to the SQLSTATE of the error it wraps", () => {
    const wrapped = wrappedByObjection(databaseError("23505"));
    expect(asClientError(wrapped)?.type).toBe("CONFLICT");
  });

  it.each([
    ["a lost connection", databaseError("ECONNREFUSED")],
    ["a serialization failure (retry it, it is no one's bad input)", databaseError("40001")],
    ["a server shutting down", databaseError("57P01")],
    ["an error without a code", new Error("boom")],
    ["a client error already", new Errors.MoleculerClientError("no", 404, "NOT_FOUND")],
    ["not an error at all", null],
  ])("leaves %s alone", (_what, error) => {
    expect(asClientError(error)).toBeNull();
  });
});

describe("isServiceFailure", () => {
  it.each([
    ["a validation refusal", new Errors.ValidationError("bad", "VALIDATION_ERROR", [])],
    ["a not-found", new Errors.MoleculerClientError("no", 404, "NOT_FOUND")],
    ["a database refusal turned client error", asClientError(databaseError("22021"))],
  ])("does not count %s against the service", (_what, error) => {
    expect(isServiceFailure(error)).toBe(false);
  });

  it.each([
    ["a timeout", new Errors.RequestTimeoutError({ action: "product.list", nodeID: "node-1" })],
    ["a server error", new Errors.MoleculerServerError("down", 500, "INTERNAL")],
    ["a database error with a SQLSTATE (which the old check read as a number above 500)", databaseError("57P01")],
    ["a crash without a code", new Error("boom")],
  ])("counts %s", (_what, error) => {
    expect(isServiceFailure(error)).toBe(true);
  });
});
