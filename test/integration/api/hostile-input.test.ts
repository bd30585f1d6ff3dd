/**
 * Input the database would refuse is a 4xx in the one error shape, never a
 * 500, and writes nothing (most of it is now refused by validation first); a
 * run of requests the database refuses, from one client, does not open the
 * circuit breaker for everyone else.
 */
import { randomUUID } from "node:crypto";
import { api, registerCustomer, type TestCustomer } from "../../support/http";
import { catalogProduct } from "../../support/purchases";

let customer: TestCustomer;
let productId: number;
const BEYOND_BIGINT = "9223372036854775808";

beforeAll(async () => {
  customer = await registerCustomer();
  productId = await catalogProduct(customer.accessToken, 500, 5);
});

const expectRefusal = (res: { status: number; body: any }) => {
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  expect(res.body.error).toEqual(expect.objectContaining({ status: res.status, type: expect.any(String), message: expect.any(String) }));
};

test.each([
  ["first_name", "PUT", "/api/v1/account/customer/personal", { first_name: "a\u0000b", last_name: "c" }],
  ["address", "PUT", "/api/v1/account/customer/delivery", { address: "street\u0000 1", phone_number: "0123456789" }],
])("a NUL byte in %s is refused and the profile is unchanged", async (_field, method, path, body) => {
  const before = await api("GET", path, { token: customer.accessToken });
  expectRefusal(await api(method, path, { token: customer.accessToken, body }));
  expect(await api("GET", path, { token: customer.accessToken })).toEqual(expect.objectContaining({ status: 200, body: before.body }));
});

test("a NUL byte in a category name is refused and no category is made", async () => {
  const name = `nul-${randomUUID()}`;
  expectRefusal(await api("POST", "/api/v1/categories", { token: customer.accessToken, body: { name: `${name}\u0000` } }));
  const categories = await api("GET", "/api/v1/categories");
  expect(JSON.stringify(categories.body)).not.toContain(name);
});

test("a NUL byte in a product name is refused on create and on update, and the product keeps its name", async () => {
  const product = await api("GET", `/api/v1/products/${productId}`);
  const categoryId = product.body.category_id;
  expectRefusal(
    await api("POST", "/api/v1/products", { token: customer.accessToken, body: { category_id: categoryId, name: "a\u0000b", price: 1, inventory: 1 } }),
  );
  expectRefusal(await api("PUT", `/api/v1/products/${productId}`, { token: customer.accessToken, body: { name: "a\u0000b" } }));
  expect((await api("GET", `/api/v1/products/${productId}`)).body.name).toBe(product.body.name);
});

test.each([
  ["a category id beyond bigint in a product list", "GET", `/api/v1/products?category_id=${BEYOND_BIGINT}`, undefined],
  ["a category id of 1e21 on create", "POST", "/api/v1/products", { category_id: 1e21, name: "x", price: 1, inventory: 1 }],
  ["a category id of 1e21 on update", "PUT", "/api/v1/products/{id}", { category_id: 1e21 }],
  ["a null name on update", "PUT", "/api/v1/products/{id}", { name: null }],
])("%s is refused and changes nothing", async (_what, method, path, body) => {
  const before = await api("GET", `/api/v1/products/${productId}`);
  expectRefusal(await api(method, path.replace("{id}", String(productId)), { token: customer.accessToken, body }));
  expect((await api("GET", `/api/v1/products/${productId}`)).body).toEqual(before.body);
});

test("25 product updates the database refuses, from one client, leave the catalog open to everyone", async () => {
  // Each passes validation (an optional field may be null) and reaches the database, whose NOT NULL refuses it:
  // the kind of refusal Moleculer's default breaker check counted as the service failing.
  for (let i = 0; i < 25; i++) {
    expectRefusal(await api("PUT", `/api/v1/products/${productId}`, { token: customer.accessToken, body: { name: null } }));
  }
  const other = await registerCustomer();
  const renamed = await api("PUT", `/api/v1/products/${productId}`, { token: other.accessToken, body: { name: `after-${randomUUID()}` } });
  expect(renamed.status).toBe(200);
});
