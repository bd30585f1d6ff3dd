/**
 * A crowd at the door: concurrent POST /purchases share one price call and one
 * insert statement (see services/purchase). Each request must still get its
 * own answer: its own customer, prices and amount on its own row and its own
 * PurchaseCreated, and a refusal that touches only the request that earned it.
 */
import knex from "knex";
import { databaseUrl } from "../../../lib/environment";
import { api, registerCustomer, type TestCustomer } from "../../support/http";
import { checkPurchaseInvariants } from "../../support/invariants";
import { catalogProduct, purchaseWhenTerminal } from "../../support/purchases";

const purchaseDb = knex({ client: "pg", connection: databaseUrl("purchase"), pool: { min: 0, max: 1 } });
afterAll(() => purchaseDb.destroy());

const REQUESTS = 48;
const STOCK = 1_000;
/** No product has this id: the catalog is far from it. */
const UNKNOWN_PRODUCT = 9_000_000_000_000;

interface Asked {
  customer: TestCustomer;
  productId: number;
  quantity: number;
}

test("48 purchases at once over 4 customers and 3 prices, 6 of them for an unknown product: each answered and recorded as asked", async () => {
  const customers: TestCustomer[] = [];
  for (let i = 0; i < 4; i++) customers.push(await registerCustomer());
  const prices = [100, 250, 999];
  const products = new Map<number, number>();
  for (const price of prices) products.set(await catalogProduct(customers[0].accessToken, price, STOCK), price);
  const productIds = [...products.keys()];

  const asked: Asked[] = Array.from({ length: REQUESTS }, (_, i) => ({
    customer: customers[i % customers.length],
    productId: i % 8 === 5 ? UNKNOWN_PRODUCT : productIds[i % productIds.length],
    quantity: (i % 5) + 1,
  }));
  const answers = await Promise.all(
    asked.map((a) =>
      api("POST", "/api/v1/purchases", {
        token: a.customer.accessToken,
        body: { order_items: [{ product_id: a.productId, quantity: a.quantity }], payment: { currency_code: "VND" } },
      }),
    ),
  );

  const accepted = asked.map((a, i) => ({ ...a, answer: answers[i] })).filter((a) => a.productId !== UNKNOWN_PRODUCT);
  expect(answers.filter((a) => a.status === 422).map((a) => a.body.error.type)).toEqual(Array(6).fill("UNKNOWN_PRODUCT"));
  expect(accepted.map((a) => a.answer.status)).toEqual(Array(REQUESTS - 6).fill(202));

  const ids = accepted.map((a) => a.answer.body.id as string);
  const rows = await purchaseDb("purchases").whereIn("id", ids).select("id", "customer_id", "amount", "items");
  const announcements = await purchaseDb("outbox").whereIn("aggregateid", ids).where({ type: "PurchaseCreated" }).select("aggregateid", "payload");
  expect(rows).toHaveLength(ids.length);
  expect(announcements).toHaveLength(ids.length);
  for (const a of accepted) {
    const id = a.answer.body.id as string;
    const amount = products.get(a.productId)! * a.quantity;
    const row = rows.find((r) => r.id === id);
    expect({ customer: row.customer_id, amount: Number(row.amount), items: row.items }).toEqual({
      customer: a.customer.customerId,
      amount,
      items: [{ product_id: a.productId, quantity: a.quantity, unit_price: products.get(a.productId) }],
    });
    const announced = announcements.find((m) => m.aggregateid === id);
    expect(announced.payload).toMatchObject({ purchaseId: id, customerId: a.customer.customerId, amount });
  }
  const customerIds = customers.map((c) => c.customerId);
  expect(Number((await purchaseDb("purchases").whereIn("customer_id", customerIds).count<{ count: string }[]>("* as count"))[0].count)).toBe(ids.length);

  const ended = await Promise.all(accepted.map((a) => purchaseWhenTerminal(a.customer.accessToken, a.answer.body.id, 180_000)));
  expect(ended.map((p) => p.status)).toEqual(Array(ids.length).fill("COMPLETED"));
  const report = await checkPurchaseInvariants({
    purchaseIds: ids,
    initialStock: new Map(productIds.map((id) => [id, STOCK])),
    customerIds,
  });
  expect(report.violations).toEqual([]);
});
