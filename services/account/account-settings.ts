/** The account service's settings, from the environment; a bad value stops it at startup. */
import { integerSetting, type Environment } from "../../lib/settings/settings";
import { PRODUCTION_ARGON2_PARAMS, type Argon2Params } from "./password-hasher";

export interface AccountSettings {
  argon2: Argon2Params;
}

/** PASSWORD_ARGON2_MEMORY_KIB: argon2id's memory cost, never below OWASP's in production. */
export function readAccountSettings(env: Environment = process.env): AccountSettings {
  const memoryKiB = integerSetting(env, "PASSWORD_ARGON2_MEMORY_KIB", PRODUCTION_ARGON2_PARAMS.memoryKiB, 1_024);
  if (env.NODE_ENV === "production" && memoryKiB < PRODUCTION_ARGON2_PARAMS.memoryKiB) {
    throw new Error(`PASSWORD_ARGON2_MEMORY_KIB below ${PRODUCTION_ARGON2_PARAMS.memoryKiB} is refused in production`);
  }
  return { argon2: { ...PRODUCTION_ARGON2_PARAMS, memoryKiB } };
}
