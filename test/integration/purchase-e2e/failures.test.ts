/**
 * Purchases that cannot succeed end FAILED with nothing half-done, and
 * purchases that cannot even start are refused with a 422 and write nothing.
 */
import knex from "knex";
import { databaseUrl } from "../../../lib/environment";
import { api, registerCustomer, type TestCustomer } from "../../support/http";
import { checkPurchaseInvariants } from "../../support/invariants";
import { catalogProduct, purchaseWhenTerminal, startPurchase } from "../../support/purchases";

const orderDb = knex({ client: "pg", connection: databaseUrl("order"), pool: { min: 0, max: 1 } });
const paymentDb = knex({ client: "pg", connection: databaseUrl("payment"), pool: { min: 0, max: 1 } });
const purchaseDb = knex({ client: "pg", connection: databaseUrl("purchase"), pool: { min: 0, max: 1 } });
let customer: TestCustomer;
const purchaseIds: string[] = [];
const initialStock = new Map<number, number>();

async function product(price: number, inventory: number): Promise<number> {
  const id = await catalogProduct(customer.accessToken, price, inventory);
  initialStock.set(id, inventory);
  return id;
}

const stockOf = async (id: number) => (await api("GET", `/api/v1/products/${id}`)).body.inventory;
const purchaseCount = async () => Number((await purchaseDb("purchases").count<{ count: string }[]>("* as count"))[0].count);

beforeAll(async () => {
  customer = await registerCustomer();
});

afterAll(async () => {
  const report = await checkPurchaseInvariants({ purchaseIds, initialStock, customerIds: [customer.customerId] });
  await Promise.all([orderDb.destroy(), paymentDb.destroy(), purchaseDb.destroy()]);
  expect(report.violations).toEqual([]);
});

test("not enough stock: FAILED, nothing reserved, the order made beside the reservation cancelled, no payment", async () => {
  const scarce = await product(100, 3);
  const plenty = await product(100, 50);
  const id = await startPurchase(customer.accessToken, [
    { product_id: plenty, quantity: 1 },
    { product_id: scarce, quantity: 5 },
  ]);
  purchaseIds.push(id);

  const done = await purchaseWhenTerminal(customer.accessToken, id);
  expect(done.status).toBe("FAILED");
  expect(done.failure_reason).toMatch(new RegExp(`insufficient stock for product ${scarce}`));
  expect([await stockOf(scarce), await stockOf(plenty)]).toEqual([3, 50]);
  // The order is created at the same time as the reservation (saga version 2), so it exists, undone.
  expect(await orderDb("orders").where({ purchase_id: id }).first()).toMatchObject({ status: "CANCELLED" });
  expect(await paymentDb("payments").where({ purchase_id: id }).first()).toBeUndefined();
});

test("a wallet too small: FAILED after compensation, stock back, order cancelled, no money taken", async () => {
  const luxury = await product(150_000_000, 4);
  const id = await startPurchase(customer.accessToken, [{ product_id: luxury, quantity: 1 }]);
  purchaseIds.push(id);

  const done = await purchaseWhenTerminal(customer.accessToken, id);
  expect(done.status).toBe("FAILED");
  expect(done.failure_reason).toMatch(/PaymentDeclined.*insufficient funds/);
  expect(await stockOf(luxury)).toBe(4);
  expect(await orderDb("orders").where({ purchase_id: id }).first()).toMatchObject({ status: "CANCELLED" });
  expect(await paymentDb("payments").where({ purchase_id: id }).first()).toMatchObject({ status: "DECLINED" });
  expect(Number((await paymentDb("wallets").where({ customer_id: customer.customerId }).first()).balance)).toBe(100_000_000);
});

describe("refused at the door (422, nothing written)", () => {
  test.each([
    [
      "an unknown product",
      (p: number) => ({ order_items: [{ product_id: p + 1_000_000_000, quantity: 1 }], payment: { currency_code: "VND" } }),
      "order_items[0].product_id",
    ],
    ["a quantity of 0", (p: number) => ({ order_items: [{ product_id: p, quantity: 0 }], payment: { currency_code: "VND" } }), "order_items[0].quantity"],
    ["another currency", (p: number) => ({ order_items: [{ product_id: p, quantity: 1 }], payment: { currency_code: "USD" } }), "payment.currency_code"],
    ["no items", () => ({ order_items: [], payment: { currency_code: "VND" } }), "order_items"],
    [
      "the same product twice",
      (p: number) => ({
        order_items: [
          { product_id: p, quantity: 1 },
          { product_id: p, quantity: 2 },
        ],
        payment: { currency_code: "VND" },
      }),
      "order_items[1].product_id",
    ],
    [
      "too many items",
      (p: number) => ({ order_items: Array.from({ length: 51 }, (_, i) => ({ product_id: p + i, quantity: 1 })), payment: { currency_code: "VND" } }),
      "order_items",
    ],
  ])("%s", async (_name, body, field) => {
    const productId = await product(100, 10);
    const before = await purchaseCount();
    const res = await api("POST", "/api/v1/purchases", { token: customer.accessToken, body: body(productId) });
    expect(res.status).toBe(422);
    expect(res.body.error.fields.map((f: { field: string }) => f.field)).toContain(field);
    expect(await purchaseCount()).toBe(before);
  });

  test("without a token: 401", async () => {
    expect(
      (await api("POST", "/api/v1/purchases", { body: { order_items: [{ product_id: 1, quantity: 1 }], payment: { currency_code: "VND" } } })).status,
    ).toBe(401);
  });
});
