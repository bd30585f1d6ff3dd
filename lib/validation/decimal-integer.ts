/** Whole numbers from a path or a query string, where they arrive as text. */
const DECIMAL = /^[1-9][0-9]*$/;

/**
 * A whole number from `min` to `max`. From a path or a query string it is
 * text, and only its decimal spelling counts: "16", not "0x10", "1e1", "016"
 * or " 16", which Number() would all read as 16 (or 10).
 */
export function decimalInteger(min: number, max: number) {
  return {
    type: "custom",
    check(value: unknown, errors: { type: string; actual: unknown }[]) {
      const parsed = typeof value === "string" && DECIMAL.test(value) ? Number(value) : value;
      if (typeof parsed === "number" && Number.isSafeInteger(parsed) && parsed >= min && parsed <= max) return parsed;
      errors.push({ type: "decimalInteger", actual: value });
      return value;
    },
    messages: { decimalInteger: `The '{field}' field must be a whole number from ${min} to ${max}, written in decimal.` },
    // What the API document shows of it (lib/http/json-schema-of-rule.ts): the check itself is code.
    jsonSchema: { type: "integer", minimum: min, maximum: max },
  } as const;
}
