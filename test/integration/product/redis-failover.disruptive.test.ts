/**
 * Kill the Redis primary that holds a product's cache slot in the middle of
 * reads: every read still answers correctly (from Postgres while the cluster
 * fails over), and once a replica has taken over, reads come from the cache
 * again. The killed node is restarted by `stack up` and rejoins as a replica.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import type { ServiceBroker } from "moleculer";
import { redisNodes } from "../../../lib/environment";
import ProductService from "../../../services/product/product.service";
import { redisDir, repoRoot } from "../../../stack/layout";
import { redisCli } from "../../../stack/parts/redis-cluster";
import { startBroker } from "../../support/broker";
import { productByIdQueries, productDb } from "../../support/product-queries";
import { connectCluster, uniqueName } from "../../support/redis";
import { waitUntil } from "../../support/wait";

const run = promisify(execFile);
const redis = connectCluster();
const writer = { meta: { user: { id: "00000000-0000-4000-8000-000000000001", role: "customer" } } };
let broker: ServiceBroker;

async function clusterInfo(port: number): Promise<string> {
  return redisCli(port, "cluster", "info");
}

/** The port of the primary serving `key`'s slot. */
async function primaryFor(key: string): Promise<number> {
  const slot = Number(await redis.cluster("KEYSLOT", key));
  const slots = (await redis.cluster("SLOTS")) as unknown as [number, number, [string, number]][];
  const owner = slots.find(([from, to]) => slot >= from && slot <= to)!;
  return owner[2][1];
}

beforeAll(async () => {
  broker = await startBroker([ProductService]);
});

afterAll(async () => {
  await broker?.stop();
  await productDb.destroy();
  redis.disconnect();
});

test("reads stay correct while a primary dies, and the cache serves again after failover", async () => {
  const category = await broker.call<{ id: number }, object>("product.createCategory", { name: uniqueName("failover") }, writer);
  const product = await broker.call<{ id: number; name: string }, object>(
    "product.create",
    { category_id: category.id, name: "Failover probe", price: 42, inventory: 3 },
    writer,
  );
  const key = `product:{${product.id}}`;
  const victim = await primaryFor(key);
  const pid = Number(readFileSync(path.join(redisDir, String(victim), "redis.pid"), "utf8"));
  const survivors = redisNodes()
    .map((node) => node.port)
    .filter((port) => port !== victim);

  process.kill(pid, "SIGKILL");
  let reads = 0;
  await waitUntil(
    "a replica to take over the dead primary's slots",
    async () => {
      const read = await broker.call<{ id: number; price: number }, object>("product.get", { id: product.id });
      expect(read).toMatchObject({ id: product.id, price: 42, name: "Failover probe" });
      reads++;
      return (await clusterInfo(survivors[0])).includes("cluster_state:ok") && (await primaryFor(key)) !== victim;
    },
    60_000,
  );
  expect(reads).toBeGreaterThan(0);

  // Cached again: once the entry is back, a read costs no query.
  await waitUntil("the cache to hold the product again", async () => {
    await broker.call("product.get", { id: product.id });
    return (await redis.exists(key)) === 1;
  });
  const before = await productByIdQueries();
  expect(await broker.call("product.get", { id: product.id })).toMatchObject({ id: product.id, price: 42 });
  expect(await productByIdQueries()).toBe(before);

  // Put the cluster back the way the other tests expect it: six nodes, all known, state ok.
  await run(process.execPath, ["--import", "tsx", "stack/cli.ts", "up"], { cwd: repoRoot, timeout: 120_000 });
  await waitUntil(
    "the restarted node to rejoin",
    async () => /cluster_known_nodes:6/.test(await clusterInfo(victim)) && /cluster_state:ok/.test(await clusterInfo(victim)),
    60_000,
  );
}, 180_000);
