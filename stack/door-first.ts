/**
 * The door first. When the cores are contended (a flash sale), the processes
 * that only carry sagas forward or watch them run at a lower CPU priority than
 * the ones that answer a customer (the gateway, purchase, product's prices,
 * account, Redis, Postgres). A niceness is a weight, not a cap: a core nobody
 * else wants still goes to the saga side, so the sale is not slowed (measured:
 * README, Benchmarks). Compose gives the same containers fewer `cpu_shares`.
 */
import { integerSetting } from "../lib/settings/settings";

/** Services and stack parts on the saga side (services by folder name, parts by name). */
const SAGA_SIDE = new Set(["orchestrator", "order", "payment", "ops", "kafka", "connect", "zipkin", "prometheus"]);

/** The niceness the saga side runs at: STACK_SAGA_NICENESS, 0 for none. */
export function nicenessOf(name: string, env: NodeJS.ProcessEnv = process.env): number {
  return SAGA_SIDE.has(name) ? integerSetting(env, "STACK_SAGA_NICENESS", 10, 0, 19) : 0;
}

/** The command run under `nice` (which execs it: the pid stays the command's). */
export function niced(command: string, args: string[], niceness: number): { command: string; args: string[] } {
  return niceness > 0 ? { command: "nice", args: ["-n", String(niceness), command, ...args] } : { command, args };
}
