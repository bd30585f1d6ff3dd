/**
 * Reads one integer setting from the environment: its default when unset or
 * empty, and a startup error (naming the variable) when it is not a safe
 * integer of at least `min`, rather than a service running on a guess.
 */
export function integerSetting(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) throw new Error(`${name} must be an integer of at least ${min}, got "${raw}"`);
  return value;
}
