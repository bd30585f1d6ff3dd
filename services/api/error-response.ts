/**
 * One JSON error shape for every failure the gateway answers:
 *   { "error": { "status": 422, "type": "VALIDATION_ERROR", "message": "...", "fields": [{ "field": "email", "message": "..." }] } }
 * Server faults (5xx but 503) never leak their message or stack.
 */
export interface ErrorBody {
  error: { status: number; type: string; message: string; fields?: { field: string; message: string }[] };
}

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
};

function statusOf(err: AnyError): number {
  for (const candidate of [err.code, err.status, err.statusCode]) {
    if (typeof candidate === "number" && candidate >= 400 && candidate <= 599) return candidate;
  }
  return 500;
}

export function errorResponse(err: AnyError): ErrorBody {
  const status = statusOf(err);
  if (status >= 500 && status !== 503) {
    return { error: { status, type: "INTERNAL_ERROR", message: "Internal server error" } };
  }
  const rawType = typeof err.type === "string" ? err.type : undefined;
  const type = (rawType && BODY_PARSER_TYPES[rawType]) ?? rawType ?? err.name ?? "ERROR";
  const body: ErrorBody = { error: { status, type: type.toUpperCase(), message: err.message ?? "Error" } };
  if (status === 422 && Array.isArray(err.data)) {
    body.error.fields = (err.data as { field?: string; message?: string }[]).map((e) => ({ field: e.field ?? "", message: e.message ?? "" }));
  }
  return body;
}
