/**
 * An open-loop load: purchases arrive at a fixed rate, whatever the system's
 * answers do (unlike bench:purchases' closed burst), for a number of
 * seconds, spread over 50 products. Prints the offered and achieved rates,
 * POST → terminal latency percentiles, and, like bench:purchases, the
 * pgbench -N baseline measured first, the ratio, and CPU per saga per part.
 *   npm run bench:load -- <purchases per second> <seconds> [customers] [products]
 * Needs the system running with limits above the load:
 *   RATE_LIMIT=100000000 AUTH_RATE_LIMIT=100000 npm start
 */
import { registerCustomers } from "../test/support/sale";
import { checkPurchaseInvariants } from "../test/support/invariants";
import { catalogProduct } from "../test/support/purchases";
import { pgbenchCommand, pgbenchTps } from "./pgbench-baseline";
import { cpuPerSaga, cpuSnapshot } from "./process-cpu";
import { percentile, postPurchase, waitForEnd } from "./sale-support";

const rate = Number(process.argv[2]);
const seconds = Number(process.argv[3]);
const customerCount = Number(process.argv[4] ?? 20);
const productCount = Number(process.argv[5] ?? 50);

async function main(): Promise<void> {
  if (!(rate > 0) || !(seconds > 0)) throw new Error("usage: npm run bench:load -- <purchases per second> <seconds> [customers] [products]");
  const tps = await pgbenchTps();
  console.log(`${pgbenchCommand()} on the stack's Postgres: ${tps.toFixed(0)} transactions/s`);
  const customers = await registerCustomers(customerCount);
  const total = Math.round(rate * seconds);
  const stock = total * 2;
  const productIds = await Promise.all(Array.from({ length: productCount }, () => catalogProduct(customers[0].accessToken, 100, stock)));

  const sentAt = new Map<string, number>();
  const refused: number[] = [];
  const posts: Promise<void>[] = [];
  const cpuBefore = cpuSnapshot();
  const started = Date.now();
  for (let i = 0; i < total; i++) {
    // Each arrival at its own time on the schedule; a late timer sends at once rather than shifting the rest.
    const due = started + (1000 * i) / rate;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const postedAt = Date.now();
    posts.push(
      postPurchase(customers[i % customerCount].accessToken, productIds[i % productCount]).then((answer) => {
        if ("id" in answer) sentAt.set(answer.id, postedAt);
        else refused.push(answer.status);
      }),
    );
  }
  const offeredFor = (Date.now() - started) / 1000;
  await Promise.all(posts);
  if (sentAt.size === 0) throw new Error("no purchase was accepted");

  const ids = [...sentAt.keys()];
  const ended = await waitForEnd(ids);
  const cpuAfter = cpuSnapshot();
  const lastEnd = Math.max(...ended.map((r) => r.endedAt));
  const latencies = ended.map((r) => r.endedAt - sentAt.get(r.id)!).sort((a, b) => a - b);
  const achieved = ids.length / ((lastEnd - started) / 1000);

  const report = await checkPurchaseInvariants({
    purchaseIds: ids,
    initialStock: new Map(productIds.map((id) => [id, stock])),
    customerIds: customers.map((c) => c.customerId),
  });
  console.log(
    `offered ${rate}/s for ${seconds} s (${total} purchases over ${productCount} products, sent in ${offeredFor.toFixed(1)} s); ` +
      `${ids.length} accepted${refused.length > 0 ? `, ${refused.length} refused (statuses ${[...new Set(refused)].join(", ")})` : ""}`,
  );
  console.log(`achieved ${achieved.toFixed(1)} sagas/s, ${(achieved / tps).toFixed(4)} of pgbench -N`);
  console.log(
    `POST -> terminal latency: p50 ${percentile(latencies, 50)} ms, p95 ${percentile(latencies, 95)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies[latencies.length - 1]} ms`,
  );
  console.log(
    `outcomes: ${report.completed} COMPLETED, ${report.failed} FAILED; invariants: ${report.violations.length === 0 ? "all hold" : report.violations.join("; ")}`,
  );
  console.log(cpuPerSaga(cpuBefore, cpuAfter, ids.length));
  if (report.violations.length > 0) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
