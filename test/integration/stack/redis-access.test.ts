/**
 * Who may do what in the running stack's Redis: nobody without a login; the
 * services' user only its keys, channels and commands; replicas log in to
 * their primaries. And a node restarted from its append-only file keeps what
 * the services' scripts wrote, although `default` is off (redis/redis#14541).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import Redis from "ioredis";
import { LOCAL_STACK } from "../../../lib/environment";
import { redisCli } from "../../../stack/parts/redis-cluster";
import { REDIS_SERVICES_USER, redisAccessDirectives, redisPassword } from "../../../stack/redis-access";
import { uniqueName } from "../../support/redis";
import { waitUntil } from "../../support/wait";

const port = LOCAL_STACK.redisPorts[0];
const clients: Redis[] = [];

/** One node of the cluster, without following redirections: what one connection may do is the question. */
function connect(login: { username?: string; password?: string } = {}, nodePort = port): Redis {
  // No ready check (INFO) and no reconnection: a refused command is the answer under test, not a fault to ride out.
  const client = new Redis({
    host: "127.0.0.1",
    port: nodePort,
    lazyConnect: true,
    enableReadyCheck: false,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    ...login,
  });
  client.on("error", () => undefined);
  clients.push(client);
  return client;
}

const asServices = (nodePort = port) => connect({ username: REDIS_SERVICES_USER, password: redisPassword(REDIS_SERVICES_USER) }, nodePort);

/** What the command was refused with; fails the test when it was allowed. */
async function refusal(work: () => Promise<unknown>): Promise<string> {
  try {
    await work();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`allowed: ${work.toString()}`);
}

/** A primary of the cluster and a test that says whether it serves a slot (CLUSTER NODES: address, flags, …, slot ranges). */
async function aPrimary(): Promise<{ port: number; serves: (slot: number) => boolean }> {
  const line = (await redisCli(port, "cluster", "nodes")).split("\n").find((l) => l.split(" ")[2]?.split(",").includes("master"));
  if (!line) throw new Error("no primary in CLUSTER NODES");
  const fields = line.split(" ");
  const ranges = fields.slice(8).map((range) => range.split("-").map(Number));
  return {
    port: Number(fields[1].split("@")[0].split(":")[1]),
    serves: (slot) => ranges.some(([from, to = from]) => slot >= from && slot <= to),
  };
}

/** A key beginning with `prefix` that `primary` serves: the question is what one connection may do, not where a key lives. */
async function keyServedBy(primary: { serves: (slot: number) => boolean }, prefix: string): Promise<string> {
  for (let i = 0; i < 10_000; i++) {
    const key = `${prefix}-${i}`;
    if (primary.serves(Number(await redisCli(port, "cluster", "keyslot", key)))) return key;
  }
  throw new Error(`no key beginning with ${prefix} on that primary`);
}

afterAll(async () => {
  for (const client of clients) client.disconnect();
});

describe("Redis's logins", () => {
  it("refuses a client that does not log in", async () => {
    const anonymous = connect();
    await anonymous.connect();
    expect(await refusal(() => anonymous.ping())).toMatch(/NOAUTH/);
  });

  it("refuses the default user and a wrong password", async () => {
    const anonymous = connect();
    await anonymous.connect();
    expect(await refusal(() => anonymous.auth("default", "anything"))).toMatch(/WRONGPASS/);
    expect(await refusal(() => anonymous.auth(REDIS_SERVICES_USER, "not-the-password"))).toMatch(/WRONGPASS/);
  });
});

describe("the services' user", () => {
  it.each([
    ["FLUSHALL", ["flushall"]],
    ["CONFIG", ["config", "get", "*"]],
    ["ACL", ["acl", "list"]],
    ["KEYS", ["keys", "*"]],
    ["SHUTDOWN", ["shutdown", "nosave"]],
    ["CLUSTER FAILOVER", ["cluster", "failover"]],
    ["MONITOR", ["monitor"]],
  ])("cannot run %s", async (_name, command) => {
    const services = asServices();
    await services.connect();
    expect(await refusal(() => services.call(command[0], ...command.slice(1)))).toMatch(/NOPERM/);
  });

  it("reads and writes its own keys only", async () => {
    const primary = await aPrimary();
    const services = asServices(primary.port);
    await services.connect();
    const own = await keyServedBy(primary, uniqueName("cache-itest"));
    const foreign = await keyServedBy(primary, uniqueName("secret"));
    expect(await services.set(own, "v", "PX", 60_000)).toBe("OK");
    expect(await services.get(own)).toBe("v");
    // A transaction (the product list cache writes one): refused MULTI and EXEC would leave its commands applied one by one.
    expect(await services.multi().set(own, "t").pexpire(own, 60_000).exec()).toEqual([
      [null, "OK"],
      [null, 1],
    ]);
    expect(await refusal(() => services.set(foreign, "v"))).toMatch(/NOPERM/);
    expect(await refusal(() => services.get(foreign))).toMatch(/NOPERM/);
    // A script runs with the caller's rights.
    expect(await refusal(() => services.eval("return redis.call('GET', KEYS[1])", 1, foreign))).toMatch(/NOPERM|No permissions/i);
  });

  it("publishes on Moleculer's channels only", async () => {
    const services = asServices();
    await services.connect();
    expect(await services.publish(uniqueName("MOL-itest"), "x")).toBeGreaterThanOrEqual(0);
    expect(await refusal(() => services.publish(uniqueName("other"), "x"))).toMatch(/NOPERM/);
  });
});

describe("the replicas", () => {
  it("are linked to their primaries, with the replication user's login", async () => {
    const roles = await Promise.all(LOCAL_STACK.redisPorts.map(async (p) => (await redisCli(p, "info", "replication")).match(/role:(\w+)/)?.[1]));
    const replicas = LOCAL_STACK.redisPorts.filter((_, i) => roles[i] === "slave");
    expect(replicas.length).toBe(3);
    for (const replica of replicas) expect(await redisCli(replica, "info", "replication")).toMatch(/master_link_status:up/);
  });
});

/** A free loopback port for a private Redis. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

describe("a node restarted from its append-only file", () => {
  let dir: string;
  let server: ChildProcess | undefined;

  async function startPrivateRedis(privatePort: number): Promise<void> {
    server = spawn(
      "redis-server",
      [path.join(dir, "access.conf"), "--bind", "127.0.0.1", "--port", String(privatePort), "--dir", dir, "--appendonly", "yes", "--save", ""],
      {
        stdio: "ignore",
      },
    );
    await waitUntil(
      "the private Redis to answer",
      async () =>
        await asServices(privatePort)
          .connect()
          .then(
            () => true,
            () => false,
          ),
      30_000,
      200,
    );
  }

  async function stopPrivateRedis(): Promise<void> {
    const running = server;
    if (!running) return;
    server = undefined;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill("SIGKILL");
    await exited;
  }

  afterAll(async () => {
    await stopPrivateRedis();
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps what a services' script wrote (the AOF records it as MULTI/EXEC)", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "redis-aof-"));
    writeFileSync(path.join(dir, "access.conf"), `${redisAccessDirectives().join("\n")}\n`, { mode: 0o600 });
    const privatePort = await freePort();
    await startPrivateRedis(privatePort);
    const before = asServices(privatePort);
    await before.connect();
    const key = uniqueName("{cf:itest}");
    await before.eval("redis.call('HSET', KEYS[1], 'items', 1); redis.call('HINCRBY', KEYS[1], 'items', 2); redis.call('PEXPIRE', KEYS[1], 600000)", 1, key);
    // fsync the AOF now rather than within a second: the kill below must find it written.
    const admin = connect({ username: "admin", password: redisPassword("admin") }, privatePort);
    await admin.connect();
    await admin.call("config", "set", "appendfsync", "always");
    await before.hset(key, "marker", "1");
    await stopPrivateRedis();

    await startPrivateRedis(privatePort);
    const after = asServices(privatePort);
    await after.connect();
    expect(await after.hget(key, "items")).toBe("3");
  });
});
