/**
 * The local installation's JWT secret. Made once, at random, and kept under
 * .stack/ so restarts keep sessions valid; nothing in the repository can sign
 * a token that a running system accepts.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stackDir } from "./layout";

const secretFile = path.join(stackDir, "jwt-secret");

export function installationJwtSecret(): string {
  mkdirSync(stackDir, { recursive: true });
  try {
    // 48 random bytes: well past HS256's 32-byte minimum. `wx`: of two starts racing to make it, one writes and both read that one.
    writeFileSync(secretFile, `${randomBytes(48).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return readFileSync(secretFile, "utf8").trim();
}
