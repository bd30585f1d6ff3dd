/**
 * The refusals the gateway answers before (or instead of) an action, as the
 * API document lists them: each made from the error the gateway or its
 * libraries throw, through errorResponse, so the document shows what a
 * client gets.
 */
import { Errors } from "moleculer";
import ApiGateway from "moleculer-web";
import type { DocumentedError } from "../../lib/http/rest-description";
import { errorResponse } from "./error-response";
import { notAnObject, tooDeep } from "./http-edge";

/** body-parser's own refusals (its error objects carry these statuses and types). */
const bodyParserError = (status: number, type: string, message: string) => Object.assign(new Error(message), { status, type });

const refusal = (error: Error): DocumentedError => errorResponse(error).error;

export const GATEWAY_REFUSALS = {
  /** Routes behind a bearer token. */
  token: [
    refusal(new ApiGateway.Errors.UnAuthorizedError(ApiGateway.Errors.ERR_NO_TOKEN, null)),
    refusal(new ApiGateway.Errors.UnAuthorizedError(ApiGateway.Errors.ERR_INVALID_TOKEN, null)),
  ],
  /** Actions with params: the validator's answer, with the fields it refused. */
  validation: [
    refusal(
      new Errors.ValidationError("Parameters validation error!", "VALIDATION_ERROR", [
        { field: "email", message: "The 'email' field must be a valid e-mail address." },
      ]),
    ),
  ],
  /** Routes that read a JSON body. */
  body: [
    refusal(bodyParserError(400, "entity.parse.failed", "Unexpected end of JSON input")),
    refusal(notAnObject()),
    refusal(tooDeep()),
    refusal(bodyParserError(413, "entity.too.large", "request entity too large")),
    refusal(bodyParserError(415, "encoding.unsupported", 'unsupported content encoding "gzip"')),
  ],
  /** Rate-limited routes. */
  // Made as moleculer-web makes it, without arguments (which its typings do not allow).
  rateLimit: [refusal(Reflect.construct(ApiGateway.Errors.RateLimitExceeded, []))],
  /** Every route: the service behind it cannot be reached, or is too busy. */
  unavailable: [refusal(new Errors.ServiceNotAvailableError({ action: "purchase.create" }))],
} satisfies Record<string, DocumentedError[]>;
