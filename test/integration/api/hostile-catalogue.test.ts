/**
 * Every route against a catalogue of hostile input: text with NUL and control
 * bytes, numbers beyond bigint or safe integers, wrong types, nulls, odd id
 * spellings, bodies that are not JSON, too deep, encoded or too large. Each
 * request must get a 4xx in the one error shape (never a 5xx) and write
 * nothing: no account, category, product or purchase appears.
 */
import knex from "knex";
import { databaseUrl } from "../../../lib/environment";
import { api, registerCustomer, type ApiResponse, type TestCustomer } from "../../support/http";
import { catalogProduct } from "../../support/purchases";

const accountDb = knex({ client: "pg", connection: databaseUrl("account"), pool: { min: 0, max: 1 } });
const productDb = knex({ client: "pg", connection: databaseUrl("product"), pool: { min: 0, max: 1 } });
const purchaseDb = knex({ client: "pg", connection: databaseUrl("purchase"), pool: { min: 0, max: 1 } });
afterAll(() => Promise.all([accountDb.destroy(), productDb.destroy(), purchaseDb.destroy()]));

/** What no text field accepts: NUL and control bytes, more than any bound, and values that are not text at all. */
const HOSTILE_TEXT: unknown[] = ["a\u0000b", "bell\u0007 ring", "\u001b[31mred text", "x".repeat(20_000), 1e21, -1, true, [], {}, [[[[["deep"]]]]]];

/** What no id, count or price accepts: other spellings, numbers beyond bigint or safe integers, fractions, negatives, other types. */
const HOSTILE_NUMBERS: unknown[] = ["0x10", "9223372036854775808", "1e3", "a\u0000b", 1e21, 9223372036854775808, -1, 1.5, true, [], {}, [[1]]];

/** Fields holding a number; every other field holds text or a structure. */
const NUMERIC_FIELDS = new Set(["category_id", "price", "inventory"]);

/** Spellings that name no record: not decimal, not a uuid, beyond bigint, with NUL or path tricks. */
const HOSTILE_IDS = ["0x10", "1e1", "-1", "016", "9223372036854775808", "99999999999999999999999", "%00", "a%00b", "..%2F..", "null", "x".repeat(300)];

/** Whole bodies that are not an acceptable JSON document. */
const HOSTILE_BODIES: { rawBody: string; headers?: Record<string, string> }[] = [
  { rawBody: `${'{"a":'.repeat(5_000)}1${"}".repeat(5_000)}` },
  { rawBody: "{not json" },
  { rawBody: "[]" },
  { rawBody: "null" },
  { rawBody: '"a string"' },
  { rawBody: "not gzip", headers: { "content-encoding": "gzip" } },
  { rawBody: JSON.stringify({ padding: "x".repeat(40_000) }) },
];

interface Route {
  method: string;
  path: string;
  auth: boolean;
  /** A valid body whose fields are replaced one at a time; none for routes without a body. */
  body?: Record<string, unknown>;
}

let customer: TestCustomer;
let productId: number;
let categoryId: number;

function routes(): Route[] {
  // The email is taken: a body that got past validation would be a 409, never a second account.
  const register = { email: customer.email, password: "correct horse battery", first_name: "A", last_name: "B", address: "C", phone_number: "0123456789" };
  return [
    { method: "POST", path: "/api/v1/account/auth/register", auth: false, body: register },
    { method: "POST", path: "/api/v1/account/auth/login", auth: false, body: { email: customer.email, password: "not the password" } },
    { method: "POST", path: "/api/v1/account/auth/refresh", auth: false, body: { refresh_token: "not-a-token" } },
    { method: "PUT", path: "/api/v1/account/customer/personal", auth: true, body: { first_name: "A", last_name: "B" } },
    { method: "PUT", path: "/api/v1/account/customer/delivery", auth: true, body: { address: "C", phone_number: "0123456789" } },
    { method: "POST", path: "/api/v1/categories", auth: true, body: { name: "hostile category", description: "d" } },
    {
      method: "POST",
      path: "/api/v1/products",
      auth: true,
      body: { category_id: categoryId, name: "hostile product", description: "d", brand_name: "b", price: 1, inventory: 1 },
    },
    { method: "PUT", path: `/api/v1/products/${productId}`, auth: true, body: { name: "renamed", price: 2, inventory: 2, category_id: categoryId } },
    {
      method: "POST",
      path: "/api/v1/purchases",
      auth: true,
      body: { order_items: [{ product_id: productId, quantity: 1 }], payment: { currency_code: "VND" } },
    },
  ];
}

const ID_ROUTES = ["/api/v1/products/{id}", "/api/v1/orders/{id}", "/api/v1/payments/{id}", "/api/v1/purchases/{id}", "/api/v1/purchases/{id}/events"];
const QUERY_CASES = ["category_id", "page", "page_size"].flatMap((name) =>
  ["0x10", "1e21", "-1", "9223372036854775808", "%00", "1.5", "", "abc"].map((value) => `/api/v1/products?${name}=${value}`),
);

async function writeCounts(): Promise<Record<string, number>> {
  const count = async (db: knex.Knex, table: string) => Number((await db(table).count<{ count: string }[]>("* as count"))[0].count);
  return {
    customers: await count(accountDb, "customers"),
    categories: await count(productDb, "categories"),
    products: await count(productDb, "products"),
    purchases: await count(purchaseDb, "purchases"),
  };
}

test("every route answers every hostile input with a 4xx in the one error shape, and nothing is written", async () => {
  customer = await registerCustomer();
  productId = await catalogProduct(customer.accessToken, 500, 10);
  categoryId = (await api("GET", `/api/v1/products/${productId}`)).body.category_id;
  const productBefore = (await api("GET", `/api/v1/products/${productId}`)).body;
  const profileBefore = (await api("GET", "/api/v1/account/customer/personal", { token: customer.accessToken })).body;
  const before = await writeCounts();

  const answers: { request: string; res: ApiResponse }[] = [];
  const send = async (request: string, method: string, path: string, options: Parameters<typeof api>[2]) => {
    answers.push({ request, res: await api(method, path, options) });
  };
  for (const route of routes()) {
    const token = route.auth ? customer.accessToken : undefined;
    for (const field of Object.keys(route.body ?? {})) {
      for (const value of NUMERIC_FIELDS.has(field) ? HOSTILE_NUMBERS : HOSTILE_TEXT) {
        const body = { ...route.body, [field]: value };
        await send(`${route.method} ${route.path} ${field}=${JSON.stringify(value).slice(0, 40)}`, route.method, route.path, { token, body });
      }
    }
    for (const bad of HOSTILE_BODIES) {
      await send(`${route.method} ${route.path} body ${bad.rawBody.slice(0, 30)}`, route.method, route.path, { token, ...bad });
    }
  }
  // Inside a purchase's items: the product id and the quantity.
  for (const key of ["product_id", "quantity"]) {
    for (const value of HOSTILE_NUMBERS) {
      const item = { product_id: productId, quantity: 1, [key]: value };
      const body = { order_items: [item], payment: { currency_code: "VND" } };
      await send(`POST /api/v1/purchases order_items[0].${key}=${JSON.stringify(value)}`, "POST", "/api/v1/purchases", { token: customer.accessToken, body });
    }
  }
  for (const template of ID_ROUTES) {
    for (const id of HOSTILE_IDS) await send(`GET ${template} id=${id.slice(0, 30)}`, "GET", template.replace("{id}", id), { token: customer.accessToken });
  }
  for (const path of QUERY_CASES) await send(`GET ${path}`, "GET", path, {});

  const notRefused = answers
    .filter(({ res }) => res.status < 400 || res.status >= 500 || res.body?.error?.status !== res.status)
    .map(({ request, res }) => `${request} → ${res.status} ${JSON.stringify(res.body).slice(0, 120)}`);
  expect(notRefused).toEqual([]);
  expect(await writeCounts()).toEqual(before);
  expect((await api("GET", `/api/v1/products/${productId}`)).body).toEqual(productBefore);
  expect((await api("GET", "/api/v1/account/customer/personal", { token: customer.accessToken })).body).toEqual(profileBefore);

  const byStatus = new Map<number, number>();
  for (const { res } of answers) byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
  console.info(
    `${answers.length} hostile requests: ${[...byStatus]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}×${n}`)
      .join(", ")}`,
  );
});
