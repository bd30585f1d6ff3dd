/** Test fixtures shared by the cache integration tests: the stack's Redis Cluster and run-unique names. */
import { randomBytes } from "node:crypto";
import { Cluster } from "ioredis";

const DEFAULT_NODES = "127.0.0.1:17001,127.0.0.1:17002,127.0.0.1:17003,127.0.0.1:17004,127.0.0.1:17005,127.0.0.1:17006";

export function connectCluster(): Cluster {
  const nodes = (process.env.REDIS_NODES ?? DEFAULT_NODES).split(",").map((address) => {
    const [host, port] = address.trim().split(":");
    return { host, port: Number(port) };
  });
  return new Cluster(nodes);
}

/** A name no earlier run used, so tests can re-run against the same cluster. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
}

/** Polls `condition` until it holds; fails after `timeoutMs`. */
export async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
