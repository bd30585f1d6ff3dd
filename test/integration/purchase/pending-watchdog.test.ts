/**
 * The pending watchdog: a purchase whose PurchaseCreated never started a
 * saga does not stay PENDING; its outbox row is re-published with the same
 * message id, at most once per PURCHASE_PENDING_REPUBLISH_MS, and counted.
 *
 * The lost message is staged in the purchase database directly: a PENDING
 * purchase made an hour ago, and its outbox row. The row's first publication
 * must not start the saga (as if it had been dead-lettered), so it is
 * inserted under a type the orchestrator ignores, then given its real type:
 * the outbox publication carries inserts only, so the update is not sent,
 * and only the watchdog's replay delivers a PurchaseCreated.
 */
import { randomUUID } from "node:crypto";
import knex from "knex";
import { PurchaseCreated } from "../../../contracts/purchase-saga";
import { databaseUrl } from "../../../lib/environment";
import { readPurchaseSettings } from "../../../services/purchase/purchase-settings";
import { metricValue } from "../../support/metrics";
import { api, registerCustomer, type TestCustomer } from "../../support/http";
import { checkPurchaseInvariants } from "../../support/invariants";
import { catalogProduct, purchaseWhenTerminal } from "../../support/purchases";
import { waitUntil } from "../../support/wait";
import { MAX_MONEY } from "../../../lib/money";
import { PURCHASE_EVENTS_TOPIC } from "../../../contracts/topics";

const purchaseDb = knex({ client: "pg", connection: databaseUrl("purchase"), pool: { min: 0, max: 2 } });
const { pendingRepublishMs } = readPurchaseSettings();
let customer: TestCustomer;
const purchaseIds: string[] = [];
const initialStock = new Map<number, number>();
const staged: string[] = [];

beforeAll(async () => {
  customer = await registerCustomer();
});

afterAll(async () => {
  // Staged purchases the saga never settles would otherwise be swept for the rest of the run.
  await purchaseDb("purchases").whereIn("id", staged).where({ status: "PENDING" }).delete();
  const report = await checkPurchaseInvariants({ purchaseIds, initialStock, customerIds: [customer.customerId] });
  await purchaseDb.destroy();
  expect(report.violations).toEqual([]);
});

/** A PENDING purchase made an hour ago whose PurchaseCreated sits in the outbox, never delivered as such; returns its message id. */
async function stageLostPurchase(created: PurchaseCreated): Promise<string> {
  const messageId = randomUUID();
  const anHourAgo = new Date(Date.now() - 3_600_000);
  staged.push(created.purchaseId);
  await purchaseDb.transaction(async (trx) => {
    await trx("purchases").insert({
      id: created.purchaseId,
      customer_id: created.customerId,
      status: "PENDING",
      items: JSON.stringify(created.items.map((i) => ({ product_id: i.productId, quantity: i.quantity, unit_price: i.unitPrice }))),
      amount: created.amount,
      currency: created.currency,
      created_at: anHourAgo,
      updated_at: anHourAgo,
    });
    // Both created_at alike, as the purchase service's one transaction makes them.
    await trx("outbox").insert({
      id: messageId,
      aggregatetype: PURCHASE_EVENTS_TOPIC,
      aggregateid: created.purchaseId,
      type: "LostPurchaseCreated",
      payload: JSON.stringify(created),
      created_at: anHourAgo,
    });
  });
  await purchaseDb("outbox").where({ id: messageId }).update({ type: PurchaseCreated.name });
  return messageId;
}

const republishedAt = async (id: string): Promise<Date | undefined> =>
  (await purchaseDb("purchases").where({ id }).first("republished_at")).republished_at ?? undefined;

const counter = (name: string) => metricValue("purchase", name);

test("a PENDING purchase whose PurchaseCreated was lost is re-published with the same id, and its saga completes", async () => {
  const productId = await catalogProduct(customer.accessToken, 250, 10);
  initialStock.set(productId, 10);
  const purchaseId = randomUUID();
  purchaseIds.push(purchaseId);
  const countedBefore = await counter("shop_purchases_pending_republished_total");

  await stageLostPurchase({
    purchaseId,
    customerId: customer.customerId,
    items: [{ productId, quantity: 2, unitPrice: 250 }],
    amount: 500,
    currency: "VND",
  });

  const done = await purchaseWhenTerminal(customer.accessToken, purchaseId, 90_000);
  expect(done).toMatchObject({ status: "COMPLETED", amount: 500 });
  expect((await api("GET", `/api/v1/products/${productId}`)).body.inventory).toBe(8);
  expect(await republishedAt(purchaseId)).toBeInstanceOf(Date);
  expect(await counter("shop_purchases_pending_republished_total")).toBeGreaterThan(countedBefore);
});

test("a PurchaseCreated the orchestrator would refuse is not re-published but reported, once per bound", async () => {
  const productId = await catalogProduct(customer.accessToken, 10 ** 12, 1);
  const purchaseId = randomUUID();
  // Made before the door refused such amounts: 10 × 10^12 × 1,000 is beyond exact integers.
  const amount = 10 * 10 ** 12 * 1_000;
  expect(amount).toBeGreaterThan(MAX_MONEY);
  await stageLostPurchase({
    purchaseId,
    customerId: customer.customerId,
    items: [{ productId, quantity: 1_000, unitPrice: 10 ** 12 }],
    amount,
    currency: "VND",
  });

  const first = await waitUntil("the watchdog to look at the purchase", () => republishedAt(purchaseId), 60_000 + 2 * pendingRepublishMs, 100);
  expect(await counter("shop_purchases_pending_unpublishable_total")).toBeGreaterThan(0);
  // Not again within the bound…
  await new Promise((r) => setTimeout(r, pendingRepublishMs / 2));
  expect(await republishedAt(purchaseId)).toEqual(first);
  // …but again after it, and it is still PENDING: the watchdog never fails a purchase.
  const second = await waitUntil(
    "the watchdog's next look",
    async () => {
      const at = await republishedAt(purchaseId);
      return at && at.getTime() !== first.getTime() && at;
    },
    60_000 + 2 * pendingRepublishMs,
  );
  expect(second.getTime() - first.getTime()).toBeGreaterThanOrEqual(pendingRepublishMs);
  expect((await purchaseDb("purchases").where({ id: purchaseId }).first()).status).toBe("PENDING");
});
