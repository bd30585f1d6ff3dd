/**
 * An Idempotency-Key makes POST /purchases safe to retry: every request under
 * one key answers the one purchase it made (one row, one PurchaseCreated, one
 * saga), even when the requests race; the same key for another request is a
 * 409; a malformed key is a 422 that records nothing.
 */
import { randomUUID } from "node:crypto";
import knex from "knex";
import { databaseUrl } from "../../../lib/environment";
import { api, registerCustomer, type TestCustomer } from "../../support/http";
import { checkPurchaseInvariants } from "../../support/invariants";
import { catalogProduct, purchaseWhenTerminal } from "../../support/purchases";

const purchaseDb = knex({ client: "pg", connection: databaseUrl("purchase"), pool: { min: 0, max: 1 } });
let customer: TestCustomer;
let productId: number;
const STOCK = 50;

const body = (quantity: number) => ({ order_items: [{ product_id: productId, quantity }], payment: { currency_code: "VND" } });
const post = (key: string, quantity = 2, token = customer.accessToken) =>
  api("POST", "/api/v1/purchases", { token, body: body(quantity), headers: { "Idempotency-Key": key } });
const purchasesOf = (customerId: string) => purchaseDb("purchases").where({ customer_id: customerId }).select("id");
const announcementsOf = (purchaseId: string) => purchaseDb("outbox").where({ aggregateid: purchaseId, type: "PurchaseCreated" }).select("id");

beforeAll(async () => {
  customer = await registerCustomer();
  productId = await catalogProduct(customer.accessToken, 500, STOCK);
});

afterAll(async () => {
  await purchaseDb.destroy();
});

test("requests racing under one key make one purchase, and a retry after it ended answers it again", async () => {
  const key = randomUUID();
  const answers = await Promise.all(Array.from({ length: 8 }, () => post(key)));
  expect(answers.map((a) => a.status)).toEqual(Array(8).fill(202));
  const ids = new Set(answers.map((a) => a.body.id));
  expect(ids.size).toBe(1);
  const [id] = [...ids] as string[];
  expect(answers[0]!.headers.get("location")).toBe(`/api/v1/purchases/${id}`);
  expect(await purchasesOf(customer.customerId)).toEqual([{ id }]);
  expect(await announcementsOf(id)).toHaveLength(1);

  const done = await purchaseWhenTerminal(customer.accessToken, id);
  expect(done.status).toBe("COMPLETED");
  const retry = await post(key);
  expect(retry.status).toBe(202);
  expect(retry.body).toMatchObject({ id, status: "COMPLETED", links: { self: `/api/v1/purchases/${id}` } });
  expect(await purchasesOf(customer.customerId)).toHaveLength(1);

  // Stock moved once: 2 of 50.
  expect((await api("GET", `/api/v1/products/${productId}`)).body.inventory).toBe(STOCK - 2);
  const report = await checkPurchaseInvariants({ purchaseIds: [id], initialStock: new Map([[productId, STOCK]]), customerIds: [customer.customerId] });
  expect(report.violations).toEqual([]);
});

test("the same key for a different request is refused with 409 and records nothing", async () => {
  const key = randomUUID();
  const first = await post(key, 1);
  expect(first.status).toBe(202);
  const before = await purchasesOf(customer.customerId);

  const other = await post(key, 3);
  expect(other.status).toBe(409);
  expect(other.body).toEqual({ error: { status: 409, type: "IDEMPOTENCY_KEY_REUSED", message: expect.any(String) } });
  expect(await purchasesOf(customer.customerId)).toEqual(before);
  await purchaseWhenTerminal(customer.accessToken, first.body.id);
});

test("a key is the customer's own: another customer's purchase under the same key is a purchase of its own", async () => {
  const key = randomUUID();
  const other = await registerCustomer();
  const mine = await post(key, 1);
  const theirs = await post(key, 1, other.accessToken);
  expect([mine.status, theirs.status]).toEqual([202, 202]);
  expect(theirs.body.id).not.toBe(mine.body.id);
  expect(await purchasesOf(other.customerId)).toEqual([{ id: theirs.body.id }]);
  await Promise.all([purchaseWhenTerminal(customer.accessToken, mine.body.id), purchaseWhenTerminal(other.accessToken, theirs.body.id)]);
});

test.each([
  ["too long", "k".repeat(129)],
  ["with a space", "two words"],
  ["empty", ""],
])("a key %s is a 422 naming the header, and records nothing", async (_, key) => {
  const before = await purchasesOf(customer.customerId);
  const res = await post(key);
  expect(res.status).toBe(422);
  expect(res.body.error).toMatchObject({ type: "VALIDATION_ERROR", fields: [{ field: "Idempotency-Key", message: expect.stringMatching(/1 to 128/) }] });
  expect(await purchasesOf(customer.customerId)).toEqual(before);
});
