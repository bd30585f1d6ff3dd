/** Redis Cluster: six redis-server processes, three primaries with one replica each, behind ACL users (stack/redis-access.ts). */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { LOCAL_STACK } from "../../lib/environment";
import { redisDir } from "../layout";
import { assertPortsFree, ownedPid, progress, requireCommand, run, stopPid, waitFor } from "../processes";
import { REDIS_ADMIN_USER, redisAccessDirectives, redisPassword } from "../redis-access";
import type { PartStatus, StackPart } from "./part";

const PART = "redis";
const ports = LOCAL_STACK.redisPorts;
const logFile = path.join(redisDir, `${ports[0]}`, "redis.log");
const BUS_OFFSET = 10_000; // Redis Cluster's node-to-node port is the client port + 10000

const nodeDir = (port: number) => path.join(redisDir, String(port));
const pidFile = (port: number) => path.join(nodeDir(port), "redis.pid");

/** redis-cli as the admin user; the password goes by environment, not on the command line. */
export const redisCliLogin = () => ({ args: ["--user", REDIS_ADMIN_USER], env: { ...process.env, REDISCLI_AUTH: redisPassword(REDIS_ADMIN_USER) } });

/** One redis-cli command to the node on `port`, as the admin. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const login = redisCliLogin();
  return run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...login.args, ...args], { timeoutMs: 10_000, env: login.env });
}

async function clusterState(port: number): Promise<Record<string, string>> {
  const info = await redisCli(port, "cluster", "info");
  return Object.fromEntries(
    info
      .split("\n")
      .map((line) => line.trim().split(":"))
      .filter((kv) => kv.length === 2),
  );
}

async function clusterOk(): Promise<boolean> {
  for (const port of ports) {
    const state = await clusterState(port);
    if (state.cluster_state !== "ok" || Number(state.cluster_known_nodes) !== ports.length) return false;
  }
  return true;
}

async function startNode(port: number): Promise<void> {
  const dir = nodeDir(port);
  if (ownedPid(pidFile(port), String(port))) return;
  await assertPortsFree(PART, [port, port + BUS_OFFSET]);
  mkdirSync(dir, { recursive: true });
  // The users and the replicas' login, in a file only this account reads (a command line is visible to every process).
  const accessFile = path.join(dir, "access.conf");
  writeFileSync(accessFile, `${redisAccessDirectives().join("\n")}\n`, { mode: 0o600 });
  await run("redis-server", [
    accessFile,
    "--bind",
    "127.0.0.1",
    "--port",
    String(port),
    "--dir",
    dir,
    "--daemonize",
    "yes",
    "--pidfile",
    pidFile(port),
    "--logfile",
    path.join(dir, "redis.log"),
    "--cluster-enabled",
    "yes",
    "--cluster-config-file",
    "nodes.conf",
    "--cluster-node-timeout",
    "3000",
    // Persist so a restarted node keeps the cuckoo filter and its place in the cluster.
    "--appendonly",
    "yes",
    "--save",
    "",
  ]);
}

/**
 * The template's user rules, applied to a running node: a node started
 * before the rules changed (a Redis upgrade of the transport, say) has them
 * now. Each rule list resets its own commands, keys and channels; passwords
 * (`>…`) are left out, so none goes on a command line and none changes.
 */
async function applyAccessRules(port: number): Promise<void> {
  for (const directive of redisAccessDirectives(() => "unused")) {
    const [keyword, user, ...rules] = directive.split(/\s+/);
    if (keyword !== "user") continue;
    await redisCli(port, "acl", "setuser", user, ...rules.filter((rule) => !rule.startsWith(">")));
  }
}

export const redisCluster: StackPart = {
  name: PART,
  logFile,
  async up() {
    await requireCommand("redis-server", "install Redis 7 (apt-get install redis-server)");
    await requireCommand("redis-cli", "install Redis 7 tools (apt-get install redis-tools)");
    progress(PART, `nodes on 127.0.0.1:${ports[0]}-${ports[ports.length - 1]}`);
    for (const port of ports) await startNode(port);
    for (const port of ports) {
      await waitFor(PART, `answering on ${port}`, async () => (await redisCli(port, "ping")).trim() === "PONG", 20_000, path.join(nodeDir(port), "redis.log"));
    }
    const state = await clusterState(ports[0]);
    if (Number(state.cluster_known_nodes) === 1 && state.cluster_state !== "ok") {
      progress(PART, "creating the cluster (3 primaries, 3 replicas)");
      const login = redisCliLogin();
      await run("redis-cli", [...login.args, "--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "1", "--cluster-yes"], {
        env: login.env,
      });
    }
    await waitFor(PART, "a healthy cluster (cluster_state:ok on every node)", clusterOk, 60_000, logFile);
    for (const port of ports) await applyAccessRules(port);
    progress(PART, "cluster ok");
  },
  async down() {
    for (const port of ports) {
      const pid = ownedPid(pidFile(port), String(port));
      if (pid) {
        progress(PART, `stopping node ${port}`);
        await stopPid(pid);
      }
    }
  },
  async status(): Promise<PartStatus> {
    const running = ports.filter((port) => ownedPid(pidFile(port), String(port)));
    if (running.length === 0) return { healthy: false, detail: "not running" };
    try {
      if (running.length === ports.length && (await clusterOk())) {
        return { healthy: true, detail: `cluster ok, ${ports.length} nodes on 127.0.0.1:${ports.join(",")}` };
      }
    } catch {
      // reported below
    }
    return { healthy: false, detail: `${running.length}/${ports.length} nodes running, cluster not ok` };
  },
};
