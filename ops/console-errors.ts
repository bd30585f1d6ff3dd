/**
 * An operator's mistake, or a refusal, said in one line with what to do
 * instead: no stack trace. Moleculer's refusals (validation, not found, not
 * parked) come through as their message; anything else as its first line.
 */
import { Errors } from "moleculer";

/** A refusal the console itself makes (an unknown state, a range backwards), with the valid choices in its message. */
export class OperatorInputError extends Error {
  override readonly name = "OperatorInputError";
}

interface ValidationFailure {
  field?: string;
  message?: string;
}

export function oneLine(error: unknown): string {
  if (error instanceof Errors.ValidationError && Array.isArray(error.data)) {
    return (error.data as ValidationFailure[]).map((f) => f.message ?? `invalid ${f.field}`).join("; ");
  }
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0];
}
