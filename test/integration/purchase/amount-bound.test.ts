/** A purchase whose amount cannot be carried exactly is refused at the door, instead of being accepted and staying PENDING. */
import knex from "knex";

import { databaseUrl } from "../../../lib/environment";
import { api, registerCustomer } from "../../support/http";
import { catalogProduct } from "../../support/purchases";
import { MAX_MONEY } from "../../../lib/money";

const purchaseDb = knex({ client: "pg", connection: databaseUrl("purchase"), pool: { min: 0, max: 1 } });

afterAll(() => purchaseDb.destroy());

test("10 products at 10^12, 1,000 of each: 422 naming the items, and nothing written", async () => {
  const customer = await registerCustomer();
  const products: number[] = [];
  for (let i = 0; i < 10; i++) products.push(await catalogProduct(customer.accessToken, 10 ** 12, 1_000));

  const res = await api("POST", "/api/v1/purchases", {
    token: customer.accessToken,
    body: { order_items: products.map((product_id) => ({ product_id, quantity: 1_000 })), payment: { currency_code: "VND" } },
  });

  expect(res.status).toBe(422);
  expect(res.body.error).toMatchObject({
    status: 422,
    type: "AMOUNT_TOO_LARGE",
    fields: [{ field: "order_items", message: expect.stringContaining(String(MAX_MONEY)) }],
  });
  expect(await purchaseDb("purchases").where({ customer_id: customer.customerId }).count<{ count: string }[]>("* as count")).toEqual([{ count: "0" }]);
});
