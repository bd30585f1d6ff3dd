/**
 * Where things are. The code runs either as TypeScript from the checkout
 * (tsx) or compiled into dist/ (`npm run build`); `codeRoot` is the tree it
 * runs from, `repoRoot` the checkout (package.json, node_modules). The local
 * stack keeps its files in one folder per part under `.stack/` (or $STACK_DIR).
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";

export const codeRoot = path.resolve(__dirname, "..");
export const repoRoot = existsSync(path.join(codeRoot, "package.json")) ? codeRoot : path.resolve(codeRoot, "..");
/** Compiled code runs .js files (services, migrations); the checkout's are .ts, run through tsx. */
export const compiled = path.extname(__filename) === ".js";
export const codeExtension = compiled ? ".js" : ".ts";
export const stackDir = path.resolve(process.env.STACK_DIR ?? path.join(repoRoot, ".stack"));

export const jarsDir = path.join(stackDir, "jars");
export const postgresDir = path.join(stackDir, "postgres");
export const redisDir = path.join(stackDir, "redis");
export const kafkaDir = path.join(stackDir, "kafka");
export const connectDir = path.join(stackDir, "connect");
export const zipkinDir = path.join(stackDir, "zipkin");
export const prometheusDir = path.join(stackDir, "prometheus");
export const servicesDir = path.join(stackDir, "services");

/**
 * A folder the PostgreSQL server may own. As root the server runs as the
 * `postgres` user, which may not be able to reach a checkout under /root, so
 * the cluster then lives in /var/tmp under a name derived from this checkout.
 */
export function postgresDataDirFor(reachableByServerUser: boolean): string {
  if (reachableByServerUser) return path.join(postgresDir, "data");
  const id = createHash("sha1").update(stackDir).digest("hex").slice(0, 10);
  return path.join("/var/tmp", `saga-stack-${id}`, "postgres-data");
}
