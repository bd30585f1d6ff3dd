/**
 * The local installation's secrets (the JWT secret, the database roles'
 * passwords). Each is made once, at random, and kept under .stack/ (mode 600)
 * so restarts keep sessions and connections valid; nothing in the repository
 * can sign a token or open a database that a running system accepts.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stackDir } from "./layout";

/** The secret kept in `.stack/<name>`, made on first use: 48 random bytes, well past HS256's 32-byte minimum. */
export function installationSecret(name: string): string {
  const file = path.join(stackDir, name);
  mkdirSync(stackDir, { recursive: true });
  try {
    // `wx`: of two starts racing to make it, one writes and both read that one.
    writeFileSync(file, `${randomBytes(48).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return readFileSync(file, "utf8").trim();
}

export const installationJwtSecret = () => installationSecret("jwt-secret");
