/**
 * One JSON error shape for every failure the gateway answers:
 *   { "error": { "status": 422, "type": "VALIDATION_ERROR", "message": "...", "fields": [{ "field": "email", "message": "..." }] } }
 * Server faults never leak their message or stack; a service that cannot be
 * reached is a 503 (with Retry-After), whatever Moleculer called it.
 */
import type { Infer } from "../../lib/messages/message-declaration";

/** The shape, declared once: ErrorBody is read off it, and the API document shows it. */
export const errorBodySchema = {
  error: {
    type: "object",
    props: {
      status: { type: "number", integer: true, min: 400, max: 599 },
      type: "string",
      message: "string",
      /** A 422's fields and what is wrong with each. */
      fields: { type: "array", optional: true, items: { type: "object", props: { field: "string", message: "string" } } },
    },
  },
} as const;
export type ErrorBody = Infer<typeof errorBodySchema>;

interface AnyError {
  code?: unknown;
  status?: unknown;
  statusCode?: unknown;
  type?: unknown;
  name?: string;
  message?: string;
  data?: unknown;
}

// body-parser's error types, for requests that never reach an action.
const BODY_PARSER_TYPES: Record<string, string> = {
  "entity.too.large": "PAYLOAD_TOO_LARGE",
  "entity.parse.failed": "MALFORMED_JSON",
  "encoding.unsupported": "UNSUPPORTED_ENCODING",
  "entity.too.deep": "JSON_TOO_DEEP",
  "entity.not.object": "JSON_NOT_AN_OBJECT",
};

/**
 * Moleculer's answers for a service that is not reachable right now (not
 * registered, restarting, its circuit open): a 404 of Moleculer's own, which
 * the client must see as what it is, an outage to retry, not a missing resource.
 */
const UNAVAILABLE_TYPES = new Set(["SERVICE_NOT_FOUND", "SERVICE_NOT_AVAILABLE"]);

/** Seconds a client is asked to wait before retrying a 503. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 1;

function statusOf(err: AnyError): number {
  if (typeof err.type === "string" && UNAVAILABLE_TYPES.has(err.type)) return 503;
  for (const candidate of [err.code, err.status, err.statusCode]) {
    if (typeof candidate === "number" && candidate >= 400 && candidate <= 599) return candidate;
  }
  return 500;
}

/** An error without a type (moleculer-web's RateLimitExceeded) is typed by its class name, in the types' own spelling: RATE_LIMIT_EXCEEDED. */
const typeOfName = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();

export function errorResponse(err: AnyError): ErrorBody {
  const status = statusOf(err);
  if (status >= 500 && status !== 503) {
    return { error: { status, type: "INTERNAL_ERROR", message: "Internal server error" } };
  }
  if (status === 503) return { error: { status, type: "SERVICE_UNAVAILABLE", message: "The service is unavailable; try again shortly" } };
  const rawType = typeof err.type === "string" ? err.type : undefined;
  const type = (rawType && BODY_PARSER_TYPES[rawType]) ?? rawType?.toUpperCase() ?? (err.name ? typeOfName(err.name) : "ERROR");
  const body: ErrorBody = { error: { status, type, message: err.message ?? "Error" } };
  if (status === 422 && Array.isArray(err.data)) {
    body.error.fields = (err.data as { field?: string; message?: string }[]).map((e) => ({ field: e.field ?? "", message: e.message ?? "" }));
  }
  return body;
}
