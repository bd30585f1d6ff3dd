/**
 * The seed's whole curl walkthrough, as written: register, login, a category,
 * two products, and the purchase of 4 + 5 items. The purchase completes, the
 * order is approved for the right amount, the payment completed, stock is
 * 996 and 995, and the event stream (from a second gateway too) shows each
 * step and ends with COMPLETED. Nobody else can see any of it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import knex from "knex";
import { databaseUrl, gatewayPort } from "../../../lib/environment";
import { api, registerCustomer } from "../../support/http";
import { checkPurchaseInvariants } from "../../support/invariants";

import { purchaseWhenTerminal, readPurchaseEvents } from "../../support/purchases";
import { SEED_CATEGORY, SEED_EMAIL, SEED_LOGIN, SEED_REGISTER, seedIsolate, seedProfessional, seedPurchase } from "../../support/seed";
import { waitUntil } from "../../support/wait";
import { PurchaseView } from "../../../services/purchase/purchase-view";

const repoRoot = path.resolve(__dirname, "..", "..", "..");
const secondGatewayPort = gatewayPort() + 103;
let secondGateway: ChildProcess;

beforeAll(async () => {
  const accountDb = knex({ client: "pg", connection: databaseUrl("account") });
  const productDb = knex({ client: "pg", connection: databaseUrl("product") });
  // The seed uses a fixed email and category name: free them if an earlier run took them.
  await accountDb("customers").whereRaw("lower(email) = ?", [SEED_EMAIL]).delete();
  await productDb("categories")
    .where({ name: "whey" })
    .update({ name: productDb.raw("'whey-' || id") });
  await Promise.all([accountDb.destroy(), productDb.destroy()]);

  const runner = path.join(repoRoot, "node_modules", "moleculer", "bin", "moleculer-runner.js");
  secondGateway = spawn(process.execPath, ["--import", "tsx", runner, "--config", "moleculer.config.ts", "services/api/api.service.ts"], {
    cwd: repoRoot,
    env: { ...process.env, PORT: String(secondGatewayPort), NODE_ID: `second-gateway-${process.pid}`, EXPECTED_SERVICES: "purchase", LOG_LEVEL: "warn" },
    stdio: "ignore",
  });
  await waitUntil("the second gateway", async () => (await fetch(`http://127.0.0.1:${secondGatewayPort}/ready`)).ok, 60_000);
});

afterAll(() => {
  secondGateway?.kill("SIGTERM");
});

test("the seed walkthrough completes its purchase, and the stream shows every step", async () => {
  expect((await api("POST", "/api/v1/account/auth/register", { rawBody: SEED_REGISTER })).status).toBe(201);
  const login = await api("POST", "/api/v1/account/auth/login", { rawBody: SEED_LOGIN });
  const token = login.body.access_token;
  const category = await api("POST", "/api/v1/categories", { token, rawBody: SEED_CATEGORY });
  const first = await api("POST", "/api/v1/products", { token, rawBody: seedIsolate(category.body.id) });
  const second = await api("POST", "/api/v1/products", { token, rawBody: seedProfessional(category.body.id) });

  const purchase = await api("POST", "/api/v1/purchases", { token, rawBody: seedPurchase(first.body.id, second.body.id) });
  expect(purchase.status).toBe(202);
  const id = purchase.body.id;
  expect(purchase.body).toEqual({ id, status: "PENDING", links: { self: `/api/v1/purchases/${id}`, events: `/api/v1/purchases/${id}/events` } });
  expect(purchase.headers.get("location")).toBe(`/api/v1/purchases/${id}`);

  const [events, eventsElsewhere] = await Promise.all([readPurchaseEvents(token, id), readPurchaseEvents(token, id, `http://127.0.0.1:${secondGatewayPort}`)]);
  // The first event is the state at subscription; after it, every change, none skipped.
  const versions = events.map((e) => e.version);
  expect(versions).toEqual(Array.from({ length: versions.length }, (_, i) => versions[0] + i));
  // Created, then the reservation and the order at once, the payment, the approval, the end.
  expect(events[events.length - 1]).toMatchObject({ status: "COMPLETED", version: 5 });
  const steps = events.filter((e) => e.status === "RUNNING").map((e) => e.step);
  expect(steps).toEqual(["reserve-inventory+create-order", "take-payment", "approve-order"].slice(3 - steps.length));
  // A gateway that joined a moment ago may miss broadcasts until the purchase node knows it; it still
  // follows the purchase (re-reading it) in order, to the end.
  const elsewhere = eventsElsewhere.map((e) => e.version);
  expect(elsewhere).toEqual([...elsewhere].sort((a, b) => a - b));
  expect(eventsElsewhere[eventsElsewhere.length - 1]).toMatchObject({ status: "COMPLETED", version: 5 });

  const done: PurchaseView = await purchaseWhenTerminal(token, id);
  expect(done).toMatchObject({ status: "COMPLETED", amount: 4 * 1390 + 5 * 3780, failure_reason: null });
  const order = await api("GET", `/api/v1/orders/${done.order_id}`, { token });
  expect(order.body).toMatchObject({ status: "APPROVED", amount: 24460, currency: "VND", purchase_id: id });
  expect(order.body.items).toEqual(
    expect.arrayContaining([
      { product_id: first.body.id, quantity: 4, unit_price: 1390 },
      { product_id: second.body.id, quantity: 5, unit_price: 3780 },
    ]),
  );
  const payment = await api("GET", `/api/v1/payments/${done.payment_id}`, { token });
  expect(payment.body).toMatchObject({ status: "COMPLETED", amount: 24460, currency: "VND", purchase_id: id });
  expect((await api("GET", `/api/v1/products/${first.body.id}`)).body.inventory).toBe(996);
  expect((await api("GET", `/api/v1/products/${second.body.id}`)).body.inventory).toBe(995);

  // Another customer sees none of it.
  const stranger = (await registerCustomer()).accessToken;
  for (const path of [`/api/v1/purchases/${id}`, `/api/v1/orders/${done.order_id}`, `/api/v1/payments/${done.payment_id}`, `/api/v1/purchases/${id}/events`]) {
    expect((await api("GET", path, { token: stranger })).status).toBe(404);
  }
  expect((await api("GET", "/health")).status).toBe(200);

  const report = await checkPurchaseInvariants({
    purchaseIds: [id],
    initialStock: new Map([
      [first.body.id, 1000],
      [second.body.id, 1000],
    ]),
    customerIds: [login.body.customer_id],
  });
  expect(report).toEqual({ completed: 1, failed: 0, violations: [] });
});
