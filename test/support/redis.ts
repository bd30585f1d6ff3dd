/** The stack's Redis Cluster for tests, and run-unique names so tests can re-run against it. */
import { randomBytes } from "node:crypto";
import { Cluster } from "ioredis";
import { redisClusterOptions, redisNodes } from "../../lib/environment";

export function connectCluster(): Cluster {
  return new Cluster(redisNodes(), redisClusterOptions());
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
}
