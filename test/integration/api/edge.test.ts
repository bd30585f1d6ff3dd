/**
 * The gateway under hostile and crowded traffic: bodies it cannot or will not
 * read get a 4xx in the one error shape; text with control characters, ids in
 * odd spellings and a price of 0 are refused; a plain OPTIONS reveals nothing;
 * only listed origins are allowed; every answer says nosniff and credentials
 * are never cached; and neither event streams nor slow uploads take the
 * gateway away from everyone else.
 */
import { randomUUID } from "node:crypto";
import net from "node:net";
import knex from "knex";
import { gatewayPort, databaseUrl } from "../../../lib/environment";
import { MAX_STREAMS_PER_CUSTOMER } from "../../../services/api/purchase-event-streams";
import { api, baseUrl, registerCustomer, type TestCustomer } from "../../support/http";
import { catalogProduct } from "../../support/purchases";
import { waitUntil } from "../../support/wait";

const purchaseDb = knex({ client: "pg", connection: databaseUrl("purchase"), pool: { min: 0, max: 1 } });
let customer: TestCustomer;
let productId: number;

beforeAll(async () => {
  customer = await registerCustomer();
  productId = await catalogProduct(customer.accessToken, 500, 5);
});
afterAll(() => purchaseDb.destroy());

const deepJson = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;

test("JSON nested 5,000 levels is a 400 before authentication and after it", async () => {
  const login = await api("POST", "/api/v1/account/auth/login", { rawBody: deepJson(5_000) });
  expect(login).toMatchObject({ status: 400, body: { error: { status: 400, type: "JSON_TOO_DEEP" } } });
  const purchase = await api("POST", "/api/v1/purchases", { token: customer.accessToken, rawBody: deepJson(5_000) });
  expect(purchase).toMatchObject({ status: 400, body: { error: { status: 400, type: "JSON_TOO_DEEP" } } });
});

test("a body with a Content-Encoding is a 415, whatever it holds", async () => {
  const res = await api("POST", "/api/v1/account/auth/login", { rawBody: "not gzip at all", headers: { "content-encoding": "gzip" } });
  expect(res).toMatchObject({ status: 415, body: { error: { status: 415, type: "UNSUPPORTED_ENCODING" } } });
});

test("control characters in a name or an address are a 422 and change nothing", async () => {
  const before = await api("GET", "/api/v1/account/customer/personal", { token: customer.accessToken });
  const bell = await api("PUT", "/api/v1/account/customer/personal", { token: customer.accessToken, body: { first_name: "a\u0007b", last_name: "c" } });
  expect(bell).toMatchObject({ status: 422, body: { error: { type: "VALIDATION_ERROR", fields: [{ field: "first_name" }] } } });
  const escape = await api("PUT", "/api/v1/account/customer/delivery", {
    token: customer.accessToken,
    body: { address: "street \u001b[31m 1", phone_number: "0123456789" },
  });
  expect(escape.status).toBe(422);
  expect((await api("GET", "/api/v1/account/customer/personal", { token: customer.accessToken })).body).toEqual(before.body);
});

test("a product id is its decimal spelling only: 0x10, 016, 1e1 and ' 16' are 422, the id itself is found", async () => {
  for (const spelling of ["0x10", "016", "1e1", "%2016", "16.0"]) {
    const res = await api("GET", `/api/v1/products/${spelling}`);
    expect({ spelling, status: res.status, type: res.body.error?.type }).toEqual({ spelling, status: 422, type: "VALIDATION_ERROR" });
  }
  expect((await api("GET", `/api/v1/products/${productId}`)).body.id).toBe(productId);
});

test("a product priced 0 is refused on create and on update", async () => {
  const product = await api("GET", `/api/v1/products/${productId}`);
  const create = await api("POST", "/api/v1/products", {
    token: customer.accessToken,
    body: { category_id: product.body.category_id, name: `free-${randomUUID()}`, price: 0, inventory: 1 },
  });
  expect(create).toMatchObject({ status: 422, body: { error: { fields: [{ field: "price" }] } } });
  const update = await api("PUT", `/api/v1/products/${productId}`, { token: customer.accessToken, body: { price: 0 } });
  expect(update.status).toBe(422);
  expect((await api("GET", `/api/v1/products/${productId}`)).body.price).toBe(500);
});

test("an OPTIONS that is not a preflight is answered with Allow and no resource", async () => {
  const res = await api("OPTIONS", "/api/v1/account/customer/personal", { token: customer.accessToken });
  expect(res.status).toBe(204);
  expect(res.headers.get("allow")).toBe("GET, POST, PUT, OPTIONS");
  expect(res.body).toBeUndefined();
});

test("only a listed origin is allowed: not another site, not one that merely starts like it, not the opaque origin null", async () => {
  // The test stack lists http://shop.example (CORS_ORIGINS); with none listed no origin is allowed (see the unit tests).
  expect((await api("GET", "/api/v1/products", { headers: { origin: "http://shop.example" } })).headers.get("access-control-allow-origin")).toBe(
    "http://shop.example",
  );
  for (const origin of ["https://evil.example", "http://shop.exampl", "http://shop.example.evil.test", "null"]) {
    const res = await api("GET", "/api/v1/products", { headers: { origin } });
    expect({ origin, allowed: res.headers.get("access-control-allow-origin") }).toEqual({ origin, allowed: null });
  }
});

test("answers say nosniff, errors included, and tokens and a customer's data are never cached", async () => {
  expect((await api("GET", "/api/v1/products")).headers.get("x-content-type-options")).toBe("nosniff");
  expect((await api("GET", "/api/v1/no-such-route")).headers.get("x-content-type-options")).toBe("nosniff");
  const login = await api("POST", "/api/v1/account/auth/login", { body: { email: customer.email, password: customer.password } });
  expect(login.status).toBe(200);
  expect(login.headers.get("cache-control")).toBe("no-store");
  const personal = await api("GET", "/api/v1/account/customer/personal", { token: customer.accessToken });
  expect(personal.headers.get("cache-control")).toBe("no-store");
});

/** A purchase that stays RUNNING: written straight into the purchase database, with no saga behind it, so its stream stays open. */
async function runningPurchase(owner: TestCustomer): Promise<string> {
  const id = randomUUID();
  await purchaseDb("purchases").insert({
    id,
    customer_id: owner.customerId,
    status: "RUNNING",
    step: "reserve-inventory",
    items: JSON.stringify([{ product_id: productId, quantity: 1, unit_price: 500 }]),
    amount: 500,
    currency: "VND",
  });
  return id;
}

/** Opens an event stream and resolves once its first event arrived; abort() closes it. */
async function openStream(token: string, purchaseId: string, abort: AbortController): Promise<number> {
  const res = await fetch(`${baseUrl()}/api/v1/purchases/${purchaseId}/events`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
  if (res.status === 200) await res.body!.getReader().read();
  else await res.text();
  return res.status;
}

test(`one customer holds at most ${MAX_STREAMS_PER_CUSTOMER} event streams; with six customers at their limit, the gateway still answers everyone`, async () => {
  const abort = new AbortController();
  const ids: string[] = [];
  try {
    const owners = [customer, ...(await Promise.all(Array.from({ length: 5 }, () => registerCustomer())))];
    const held = await Promise.all(
      owners.map(async (owner) => {
        const id = await runningPurchase(owner);
        ids.push(id);
        return Promise.all(Array.from({ length: MAX_STREAMS_PER_CUSTOMER }, () => openStream(owner.accessToken, id, abort)));
      }),
    );
    expect(held.flat()).toEqual(Array(owners.length * MAX_STREAMS_PER_CUSTOMER).fill(200));

    const oneMore = await api("GET", `/api/v1/purchases/${ids[0]}/events`, { token: customer.accessToken });
    expect(oneMore).toMatchObject({ status: 429, body: { error: { type: "TOO_MANY_STREAMS" } } });
    expect((await api("GET", "/health")).status).toBe(200);
    expect((await api("GET", "/api/v1/products")).status).toBe(200);
    expect((await api("GET", "/api/v1/account/customer/personal", { token: customer.accessToken })).status).toBe(200);
  } finally {
    abort.abort();
    await purchaseDb("purchases").whereIn("id", ids).delete();
  }
  // Closed streams give their places back.
  const anotherId = await runningPurchase(customer);
  const again = new AbortController();
  try {
    expect(await waitUntil("a stream to be allowed again", async () => (await openStream(customer.accessToken, anotherId, again)) === 200, 30_000, 200)).toBe(
      true,
    );
  } finally {
    again.abort();
    await purchaseDb("purchases").where({ id: anotherId }).delete();
  }
});

test("60 connections sending a body a byte at a time neither starve the gateway nor stay open for ever", async () => {
  const slow: net.Socket[] = [];
  const closed: Promise<void>[] = [];
  const drip: NodeJS.Timeout[] = [];
  try {
    for (let i = 0; i < 60; i++) {
      const socket = net.connect(gatewayPort(), "127.0.0.1");
      socket.on("error", () => undefined);
      socket.on("data", () => undefined);
      closed.push(new Promise((resolve) => socket.once("close", () => resolve())));
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      socket.write("POST /api/v1/account/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{");
      drip.push(setInterval(() => socket.writable && socket.write(" "), 1_000));
      slow.push(socket);
    }
    const health = await api("GET", "/health");
    expect(health.status).toBe(200);
    expect((await api("GET", "/api/v1/products")).status).toBe(200);
    const login = await api("POST", "/api/v1/account/auth/login", { body: { email: customer.email, password: customer.password } });
    expect(login.status).toBe(200);
    // The server's request timeout ends each of them (Node checks timeouts every 30 s, so allow for that).
    await waitUntil(
      "the server to close every slow connection",
      async () => await Promise.race([Promise.all(closed).then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 1_000))]),
      120_000,
      0,
    );
  } finally {
    for (const timer of drip) clearInterval(timer);
    for (const socket of slow) socket.destroy();
  }
});
