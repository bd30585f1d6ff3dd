/** Where the local stack keeps its files. One folder per part under `.stack/` (or $STACK_DIR). */
import { createHash } from "node:crypto";
import path from "node:path";

export const repoRoot = path.resolve(__dirname, "..");
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
