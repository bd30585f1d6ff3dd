/**
 * Every command, reply and event of a completed purchase delivered a second
 * time (re-published to Kafka as it was): the end state does not move. One
 * order, one payment, one charge, the same saga version.
 */
import {
  PURCHASE_EVENTS_TOPIC,
  PURCHASE_RESULTS_TOPIC,
  ORDER_COMMANDS_TOPIC,
  PAYMENT_COMMANDS_TOPIC,
  PRODUCT_COMMANDS_TOPIC,
  SAGA_REPLIES_TOPIC,
} from "../../../contracts/topics";
import knex from "knex";

import { databaseUrl } from "../../../lib/environment";
import { api, registerCustomer } from "../../support/http";
import { checkPurchaseInvariants } from "../../support/invariants";
import { groupCaughtUp, publishRaw, recordsWithKey } from "../../support/kafka";
import { catalogProduct, purchaseWhenTerminal, startPurchase } from "../../support/purchases";
import { waitUntil } from "../../support/wait";

// Each topic of the saga and the consumer group that applies it (@moleculer/channels names groups "<group>:<topic>").
const CONSUMERS: [topic: string, group: string][] = [
  [PURCHASE_EVENTS_TOPIC, `orchestrator:${PURCHASE_EVENTS_TOPIC}`],
  [PRODUCT_COMMANDS_TOPIC, `product:${PRODUCT_COMMANDS_TOPIC}`],
  [ORDER_COMMANDS_TOPIC, `order:${ORDER_COMMANDS_TOPIC}`],
  [PAYMENT_COMMANDS_TOPIC, `payment:${PAYMENT_COMMANDS_TOPIC}`],
  [SAGA_REPLIES_TOPIC, `orchestrator:${SAGA_REPLIES_TOPIC}`],
  [PURCHASE_RESULTS_TOPIC, `purchase:${PURCHASE_RESULTS_TOPIC}`],
];

test("re-delivering all of a purchase's messages changes nothing", async () => {
  const customer = await registerCustomer();
  const token = customer.accessToken;
  const productId = await catalogProduct(token, 700, 20);
  const id = await startPurchase(token, [{ product_id: productId, quantity: 3 }]);
  const done = await purchaseWhenTerminal(token, id);
  expect(done.status).toBe("COMPLETED");

  const orchestratorDb = knex({ client: "pg", connection: databaseUrl("orchestrator"), pool: { min: 0, max: 1 } });
  const sagaVersion = async () => (await orchestratorDb("saga_instance").where({ id }).first("version")).version;
  const versionBefore = await sagaVersion();
  try {
    const records = await recordsWithKey(
      CONSUMERS.map(([topic]) => topic),
      id,
    );
    // PurchaseCreated, 4 commands, 4 replies and the result: 10 messages (progress notes are Moleculer events).
    expect(records.length).toBe(10);

    for (const { topic, message } of records) {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).filter(([, v]) => v != null)) as typeof message.headers;
      await publishRaw(topic, [{ key: message.key, value: message.value, headers }]);
    }
    for (const [topic, group] of CONSUMERS) await waitUntil(`${group} to apply the duplicates`, () => groupCaughtUp(group, topic), 60_000);

    const again = await api("GET", `/api/v1/purchases/${id}`, { token });
    expect(again.body).toMatchObject({ status: "COMPLETED", version: done.version, order_id: done.order_id, payment_id: done.payment_id });
    expect(await sagaVersion()).toBe(versionBefore);
    expect((await api("GET", `/api/v1/products/${productId}`)).body.inventory).toBe(17);
    const report = await checkPurchaseInvariants({ purchaseIds: [id], initialStock: new Map([[productId, 20]]), customerIds: [customer.customerId] });
    expect(report).toEqual({ completed: 1, failed: 0, violations: [] });
  } finally {
    await orchestratorDb.destroy();
  }
});
