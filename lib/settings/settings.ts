/**
 * Reading settings from the environment. Each reader takes the environment
 * as a parameter (tests pass their own), answers its default when the
 * variable is unset or empty, and throws a startup error naming the variable
 * when the value is not what it must be: a service refuses to run on a guess.
 */
import { readFileSync } from "node:fs";

export type Environment = NodeJS.ProcessEnv;

function raw(env: Environment, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === "" ? undefined : value;
}

/**
 * A secret from `name`, or from the file `name_FILE` names (Docker's secrets
 * convention: the value never sits in the container's environment). Both set
 * is a mistake, not a choice; undefined when neither is.
 */
export function secretSetting(env: Environment, name: string): string | undefined {
  const value = raw(env, name);
  const file = raw(env, `${name}_FILE`);
  if (value !== undefined && file !== undefined) throw new Error(`${name} and ${name}_FILE are both set: keep one`);
  if (file === undefined) return value;
  try {
    return readFileSync(file, "utf8").trim() || undefined;
  } catch (error) {
    throw new Error(`${name}_FILE names ${file}, which cannot be read: ${(error as Error).message}`);
  }
}

/** A safe integer of at least `min` (and at most `max`). */
export function integerSetting(env: Environment, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const text = raw(env, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max < Number.MAX_SAFE_INTEGER ? `from ${min} to ${max}` : `of at least ${min}`;
    throw new Error(`${name} must be an integer ${range}, got "${text}"`);
  }
  return value;
}

/** A number strictly between `above` and `below` (a rate, a fraction). */
export function fractionSetting(env: Environment, name: string, fallback: number, above: number, below: number): number {
  const text = raw(env, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= above || value >= below) throw new Error(`${name} must be a number between ${above} and ${below}, got "${text}"`);
  return value;
}

/** "true" or "false", nothing else. */
export function flagSetting(env: Environment, name: string, fallback: boolean): boolean {
  const text = raw(env, name);
  if (text === undefined) return fallback;
  if (text !== "true" && text !== "false") throw new Error(`${name} must be "true" or "false", got "${text}"`);
  return text === "true";
}

/** Any text matching `pattern`, which the error message describes as `what`. */
export function textSetting(env: Environment, name: string, fallback: string, pattern: RegExp, what: string): string {
  const text = raw(env, name);
  if (text === undefined) return fallback;
  if (!pattern.test(text)) throw new Error(`${name} must be ${what}, got "${text}"`);
  return text;
}

/** One of `values`. */
export function choiceSetting<T extends string>(env: Environment, name: string, fallback: T, values: readonly T[]): T {
  const text = raw(env, name);
  if (text === undefined) return fallback;
  const value = values.find((v) => v === text);
  if (value === undefined) throw new Error(`${name} must be one of ${values.join(", ")}, got "${text}"`);
  return value;
}

/** A comma-separated list; blanks around items are dropped, and so are empty items. */
export function listSetting(env: Environment, name: string): string[] {
  return (raw(env, name) ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
}
