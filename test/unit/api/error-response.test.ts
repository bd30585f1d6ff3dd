import { Errors } from "moleculer";
import ApiGateway from "moleculer-web";
import { errorResponse } from "../../../services/api/error-response";

describe("errorResponse", () => {
  it("keeps a client error's status, type, message and fields", () => {
    const err = new Errors.ValidationError("bad", "VALIDATION_ERROR", [{ field: "email", message: "required" }]);
    expect(errorResponse(err)).toEqual({ error: { status: 422, type: "VALIDATION_ERROR", message: "bad", fields: [{ field: "email", message: "required" }] } });
  });

  it("answers a service that is not registered or not available with 503, not Moleculer's 404", () => {
    for (const err of [new Errors.ServiceNotFoundError({ action: "product.get" }), new Errors.ServiceNotAvailableError({ action: "product.get" })]) {
      expect(errorResponse(err)).toEqual({ error: { status: 503, type: "SERVICE_UNAVAILABLE", message: expect.stringMatching(/try again/) } });
    }
  });

  it("keeps a resource's own 404", () => {
    expect(errorResponse(new Errors.MoleculerClientError("Product not found", 404, "NOT_FOUND")).error).toMatchObject({ status: 404, type: "NOT_FOUND" });
  });

  it("types an error that has no type by its class name, spelled as the other types are", () => {
    const limited = Reflect.construct(ApiGateway.Errors.RateLimitExceeded, []);
    expect(errorResponse(limited)).toEqual({ error: { status: 429, type: "RATE_LIMIT_EXCEEDED", message: "Rate limit exceeded" } });
  });

  it("hides a server fault's message", () => {
    expect(errorResponse(new Error('relation "x" does not exist'))).toEqual({
      error: { status: 500, type: "INTERNAL_ERROR", message: "Internal server error" },
    });
  });
});
