/**
 * N purchases sent at once through the gateway (default 1000, like the
 * seed's 1kpurchases script): time until all are terminal, sagas per second,
 * latency from POST to terminal state, and the invariant check.
 *   npm run bench:purchases -- [purchases] [customers] [products]
 * One product (the default) is a flash sale: every reservation queues on that
 * product's row lock. More products spread the purchases over them.
 * First it measures `pgbench -N` on the same Postgres, and prints the saga
 * rate as a ratio to it; then the stack's idle CPU (IDLE_SAMPLE_S). After the
 * sale it prints, per saga: the CPU each part of the stack spent (with the
 * idle baseline over the same wall time apart), the SQL statements each
 * database ran and the messages each topic took.
 * Needs the system running with limits above the load:
 *   RATE_LIMIT=100000000 AUTH_RATE_LIMIT=100000 npm start
 */
import knex from "knex";
import { databaseUrl } from "../lib/environment";
import { pgbenchCommand, pgbenchTps } from "./pgbench-baseline";
import { cpuPerSaga, cpuShares, cpuSnapshot, describeShares } from "./process-cpu";
import { messageCounts, perSaga, statementCounts } from "./work-counts";
import { api } from "../test/support/http";
import { registerCustomers } from "../test/support/sale";
import { checkPurchaseInvariants } from "../test/support/invariants";
import { catalogProduct } from "../test/support/purchases";
import { percentile, postPurchase, waitForEnd } from "./sale-support";
import { useStackEnv } from "../stack/stack-env";

const total = Number(process.argv[2] ?? 1000);
const customerCount = Number(process.argv[3] ?? 20);
const productCount = Number(process.argv[4] ?? 1);
/** How long the idle stack is watched before the sale. */
const IDLE_SAMPLE_S = 10;

/** From the saga log: commands sent, how many were re-sends (attempt > 1), and sagas that gave up on a silent step. */
async function resendsOf(ids: string[]): Promise<{ commands: number; resent: number; timedOut: number }> {
  const orchestrator = knex({ client: "pg", connection: databaseUrl("orchestrator"), pool: { min: 0, max: 1 } });
  try {
    const [sent] = await orchestrator("saga_log")
      .whereIn("saga_id", ids)
      .where("kind", "command_sent")
      .select(orchestrator.raw("count(*)::int as commands"), orchestrator.raw("(count(*) filter (where (detail->>'attempt')::int > 1))::int as resent"));
    const [gaveUp] = await orchestrator("saga_instance").whereIn("id", ids).where("failure_reason", "like", "%no reply%").count<{ count: string }[]>();
    return { commands: sent.commands, resent: sent.resent, timedOut: Number(gaveUp?.count ?? 0) };
  } finally {
    await orchestrator.destroy();
  }
}

async function main(): Promise<void> {
  useStackEnv();
  const tps = await pgbenchTps();
  console.log(`${pgbenchCommand()} on the stack's Postgres: ${tps.toFixed(0)} transactions/s`);
  const customers = await registerCustomers(customerCount);
  const stock = total * 2;
  const productIds = await Promise.all(Array.from({ length: productCount }, () => catalogProduct(customers[0].accessToken, 100, stock)));

  const idleFrom = cpuSnapshot();
  await new Promise((resolve) => setTimeout(resolve, IDLE_SAMPLE_S * 1000));
  const idleShares = cpuShares(idleFrom, cpuSnapshot(), IDLE_SAMPLE_S);
  console.log(describeShares(`idle, over ${IDLE_SAMPLE_S} s`, idleShares));

  const sentAt = new Map<string, number>();
  const [statementsBefore, messagesBefore] = await Promise.all([statementCounts(), messageCounts()]);
  const cpuBefore = cpuSnapshot();
  const started = Date.now();
  const responses = await Promise.all(
    Array.from({ length: total }, async (_, i) => {
      const { accessToken } = customers[i % customerCount];
      const postedAt = Date.now();
      const answer = await postPurchase(accessToken, productIds[i % productCount]);
      if ("id" in answer) sentAt.set(answer.id, postedAt);
      return "id" in answer ? 202 : answer.status;
    }),
  );
  const answeredIn = (Date.now() - started) / 1000;
  const refused = responses.filter((s) => s !== 202);
  // A refused POST wrote nothing (the purchase and its message commit together): the sale goes on with the accepted ones.
  if (refused.length > 0)
    console.log(`${refused.length} purchases refused at the door (statuses ${[...new Set(refused)].join(", ")}); measuring the ${sentAt.size} accepted`);
  if (sentAt.size === 0) throw new Error("no purchase was accepted");

  const ids = [...sentAt.keys()];
  const ended = await waitForEnd(ids);
  const cpuAfter = cpuSnapshot();
  const cpuSeconds = (Date.now() - started) / 1000;
  const [statementsAfter, messagesAfter] = await Promise.all([statementCounts(), messageCounts()]);
  const lastEnd = Math.max(...ended.map((r) => r.endedAt));
  const allSeconds = (lastEnd - started) / 1000;
  const latencies = ended.map((r) => r.endedAt - sentAt.get(r.id)!).sort((a, b) => a - b);

  const resends = await resendsOf(ids);
  const report = await checkPurchaseInvariants({
    purchaseIds: ids,
    initialStock: new Map(productIds.map((id) => [id, stock])),
    customerIds: customers.map((c) => c.customerId),
  });

  console.log(
    `purchases: ${total} from ${customerCount} customers over ${productCount} product(s); ${ids.length} accepted (202); every POST answered in ${answeredIn.toFixed(2)} s`,
  );
  const sagasPerSecond = ids.length / allSeconds;
  console.log(`all terminal after ${allSeconds.toFixed(2)} s: ${sagasPerSecond.toFixed(1)} sagas/s, ${(sagasPerSecond / tps).toFixed(4)} of pgbench -N`);
  console.log(
    `POST -> terminal latency: median ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies[latencies.length - 1]} ms`,
  );
  console.log(
    `outcomes: ${report.completed} COMPLETED, ${report.failed} FAILED; invariants: ${report.violations.length === 0 ? "all hold" : report.violations.join("; ")}`,
  );
  const after = await Promise.all(productIds.map(async (id) => (await api("GET", `/api/v1/products/${id}`)).body.inventory as number));
  console.log(`stock sold: ${productIds.length * stock - after.reduce((a, b) => a + b, 0)}`);
  console.log(
    `commands sent: ${resends.commands}, re-sends: ${resends.resent} (${((100 * resends.resent) / Math.max(1, resends.commands)).toFixed(2)}%); ` +
      `sagas failed for want of a reply: ${resends.timedOut}`,
  );
  console.log(cpuPerSaga(cpuBefore, cpuAfter, ids.length, { shares: idleShares, seconds: cpuSeconds }));
  console.log(`SQL statements (round trips) per saga: ${perSaga(statementsBefore, statementsAfter, ids.length)}`);
  console.log(`Kafka messages per saga: ${perSaga(messagesBefore, messagesAfter, ids.length)}`);
  if (report.violations.length > 0) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
