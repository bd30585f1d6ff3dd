/**
 * Two orchestrator instances at once (the running one and one started here,
 * sharing its consumer group and database): purchases still end exactly
 * once each. No command is sent twice for the same step and attempt, every
 * saga has one end in its log, and the invariants hold.
 */
import knex from "knex";
import type { ServiceBroker, ServiceSchema } from "moleculer";
import { databaseUrl } from "../../../lib/environment";

import { consumerGroupId } from "../../../lib/channels/kafka-batch-adapter";
import OrchestratorService from "../../../services/orchestrator/orchestrator.service";
import { channelBatchCounter, startBroker } from "../../support/broker";
import { registerCustomer, type TestCustomer } from "../../support/http";
import { groupSharedBy } from "../../support/kafka";
import { checkPurchaseInvariants } from "../../support/invariants";
import { buyAtOnce, catalogProduct } from "../../support/purchases";
import { waitUntil } from "../../support/wait";
import { PURCHASE_EVENTS_TOPIC, SAGA_REPLIES_TOPIC } from "../../../contracts/topics";

let second: ServiceBroker;
/** Batches the second orchestrator handled: it must take a share, or the test shows nothing. */
const counter = channelBatchCounter();
const orchestratorDb = knex({ client: "pg", connection: databaseUrl("orchestrator"), pool: { min: 0, max: 2 } });

beforeAll(async () => {
  second = await startBroker([]);
  second.middlewares.add(counter.middleware);
  // createService types `this` as a plain Service; the schema's handlers know the orchestrator's own fields.
  second.createService(OrchestratorService as ServiceSchema);
  await second.waitForServices("orchestrator");
  // Started is not yet sharing: a sale run before the rebalance gave it partitions would prove nothing.
  for (const topic of [PURCHASE_EVENTS_TOPIC, SAGA_REPLIES_TOPIC]) {
    await waitUntil(`both orchestrators to share ${topic}`, () => groupSharedBy(consumerGroupId("orchestrator", topic), 2), 90_000, 500);
  }
}, 240_000);

afterAll(async () => {
  await second?.stop();
  await orchestratorDb.destroy();
});

test("60 purchases for 30 items under two orchestrators: 30 complete, 30 fail, each advanced once", async () => {
  const customers: TestCustomer[] = await Promise.all(Array.from({ length: 6 }, () => registerCustomer()));
  const productId = await catalogProduct(customers[0].accessToken, 250, 30);
  const purchases = await buyAtOnce(customers, productId, 60);
  const outcomes = purchases.map((p) => p.view);
  expect(outcomes.filter((p) => p.status === "COMPLETED")).toHaveLength(30);
  expect(counter.handled()).toBeGreaterThan(0);

  const ids = purchases.map((p) => p.id);
  const repeatedCommands = await orchestratorDb("saga_log")
    .whereIn("saga_id", ids)
    .andWhere({ kind: "command_sent" })
    .groupBy("saga_id", "message_id")
    .havingRaw("count(*) > 1")
    .select("saga_id", "message_id");
  expect(repeatedCommands).toEqual([]);
  const ends = await orchestratorDb("saga_log")
    .whereIn("saga_id", ids)
    .whereIn("kind", ["saga_completed", "saga_failed"])
    .groupBy("saga_id")
    .select("saga_id", orchestratorDb.raw("count(*)::int as ends"));
  expect(ends).toHaveLength(60);
  expect(ends.every((e) => e.ends === 1)).toBe(true);

  const report = await checkPurchaseInvariants({ purchaseIds: ids, initialStock: new Map([[productId, 30]]), customerIds: customers.map((c) => c.customerId) });
  expect(report).toEqual({ completed: 30, failed: 30, violations: [] });
}, 300_000);
