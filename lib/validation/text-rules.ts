/**
 * Rules for text a person types (names, addresses, catalog entries). Control
 * characters are refused at the edge with a 422: no name holds a BEL or an
 * ESC, they corrupt logs and terminals, and PostgreSQL refuses a NUL outright.
 * Descriptions may hold tabs and line breaks; one-line fields may not.
 */
const ONE_LINE = /^[^\u0000-\u001F\u007F]*$/;
const MULTI_LINE = /^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$/;

const noControlCharacters = { stringPattern: "The '{field}' field must not contain control characters." };

/** A trimmed one-line string of `min`..`max` characters. */
export function oneLineText(max: number, min = 0) {
  return { type: "string", trim: true, min, max, pattern: ONE_LINE, messages: noControlCharacters } as const;
}

/** A trimmed string of `min`..`max` characters that may span lines. */
export function multiLineText(max: number, min = 0) {
  return { type: "string", trim: true, min, max, pattern: MULTI_LINE, messages: noControlCharacters } as const;
}
