/**
 * GET /api/v1/products/:id through the gateway: latency warm (cache hit) and
 * cold (cache entry dropped before each request), and warm requests per second.
 *   npm run bench:products -- [seconds] [connections]
 * Needs the system running (npm start) with a rate limit above the load, e.g. RATE_LIMIT=10000000 npm start.
 */
import { randomUUID } from "node:crypto";
import autocannon from "autocannon";
import { api, baseUrl, registerCustomer } from "../test/support/http";
import { connectCluster } from "../test/support/redis";

const seconds = Number(process.argv[2] ?? 10);
const connections = Number(process.argv[3] ?? 20);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const { accessToken: token } = await registerCustomer();
  const category = await api("POST", "/api/v1/categories", { token, body: { name: `bench-${randomUUID()}` } });
  const product = await api("POST", "/api/v1/products", { token, body: { category_id: category.body.id, name: "Bench", price: 1, inventory: 1 } });
  const path = `/api/v1/products/${product.body.id}`;
  const redis = connectCluster();

  const cold: number[] = [];
  for (let i = 0; i < 300; i++) {
    await redis.del(`product:{${product.body.id}}`);
    const started = performance.now();
    const res = await fetch(`${baseUrl()}${path}`);
    await res.text();
    cold.push(performance.now() - started);
    if (res.status !== 200) throw new Error(`cold read answered ${res.status}`);
  }
  redis.disconnect();
  cold.sort((a, b) => a - b);

  const warm = await autocannon({ url: `${baseUrl()}${path}`, connections, duration: seconds });
  const failures = warm.non2xx + warm.errors + warm.timeouts;
  console.log(
    `cold (cache dropped before each of ${cold.length} sequential reads): median ${percentile(cold, 50).toFixed(2)} ms, p99 ${percentile(cold, 99).toFixed(2)} ms`,
  );
  console.log(
    `warm (${connections} connections, ${seconds} s): ${warm.requests.average.toFixed(0)} req/s, median ${warm.latency.p50} ms, p99 ${warm.latency.p99} ms, ${warm.requests.total} requests, ${failures} failed`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
