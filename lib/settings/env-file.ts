/**
 * Reads `.env` from the working directory into the environment when there is
 * one, before any setting is read (imported first by moleculer.config.ts and
 * the stack tool). A variable the environment already has keeps its value.
 */
import { existsSync } from "node:fs";
import { loadEnvFile } from "node:process";

const ENV_FILE = ".env";

if (existsSync(ENV_FILE)) loadEnvFile(ENV_FILE);
