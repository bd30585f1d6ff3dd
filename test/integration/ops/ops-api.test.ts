/**
 * The dashboard's HTTP API (/ops/api) as a script would call it: searching
 * sagas, the overview, and every refusal in the one error shape (never a 5xx).
 */
import { ServiceBroker } from "moleculer";
import config from "../../../moleculer.config";
import { api, registerCustomer, type TestCustomer } from "../../support/http";
import { catalogProduct, purchaseWhenTerminal, startPurchase } from "../../support/purchases";
import { waitUntil } from "../../support/wait";

let broker: ServiceBroker;
let operator: TestCustomer;
let customer: TestCustomer;

beforeAll(async () => {
  broker = new ServiceBroker({ ...config, nodeID: `ops-api-test-${process.pid}`, logger: false });
  await broker.start();
  await broker.waitForServices(["account", "orchestrator", "ops"]);
  const account = await registerCustomer();
  await broker.call("account.grantRole", { email: account.email, role: "admin" });
  const login = await api("POST", "/api/v1/account/auth/login", { body: { email: account.email, password: account.password } });
  operator = { ...account, accessToken: login.body.access_token };
  customer = await registerCustomer();
});

afterAll(() => broker.stop());

const asOperator = (method: string, path: string, body?: unknown) => api(method, path, { token: operator.accessToken, body });

test("sagas are found by customer, by purchase id and by time of last change", async () => {
  const productId = await catalogProduct(customer.accessToken, 200, 5);
  const id = await startPurchase(customer.accessToken, [{ product_id: productId, quantity: 1 }]);
  await purchaseWhenTerminal(customer.accessToken, id);

  const mine = await asOperator("GET", `/ops/api/sagas?customerId=${customer.customerId}`);
  expect(mine.status).toBe(200);
  expect(mine.body.map((s: { id: string }) => s.id)).toEqual([id]);
  expect(mine.body[0]).toMatchObject({ status: "COMPLETED", stepName: "approve-order", data: { customerId: customer.customerId } });

  expect((await asOperator("GET", `/ops/api/sagas?id=${id}`)).body.map((s: { id: string }) => s.id)).toEqual([id]);
  const changedAt = new Date(mine.body[0].updatedAt).getTime();
  const since = new Date(changedAt).toISOString();
  const before = new Date(changedAt + 1).toISOString();
  expect((await asOperator("GET", `/ops/api/sagas?customerId=${customer.customerId}&changedSince=${since}&changedBefore=${before}`)).body).toHaveLength(1);
  expect((await asOperator("GET", `/ops/api/sagas?customerId=${customer.customerId}&changedBefore=${since}`)).body).toHaveLength(0);
  expect((await asOperator("GET", "/ops/api/sagas?status=COMPLETED&limit=1")).body).toHaveLength(1);

  const shown = await asOperator("GET", `/ops/api/sagas/${id}`);
  expect(shown.body.log.map((e: { kind: string }) => e.kind)).toContain("saga_completed");
  expect((await asOperator("GET", `/ops/api/purchases/${id}/payment`)).body).toMatchObject({ purchase_id: id, status: "COMPLETED" });
});

test("the overview counts sagas, and reads every outbox, consumer group and dead-letter topic", async () => {
  const { status, body } = await asOperator("GET", "/ops/api/overview");
  expect(status).toBe(200);
  expect(body.problems).toEqual([]);
  expect(body.sagas.byStatus.COMPLETED).toBeGreaterThan(0);
  expect(Date.parse(body.sagas.endedSince)).toBeLessThan(Date.parse(body.at));
  expect(body.outbox).toHaveLength(6);
  for (const row of body.outbox) {
    expect(row).toMatchObject({ rowsKept: expect.any(Number), rowsWaiting: expect.any(Number), slotActive: true });
    // Each service's outbox watch has looked by now (every 5 s from its start) and says how its outbox streams.
    expect(row.flow).toMatchObject({ database: row.database, state: expect.stringMatching(/^(flowing|backlogged|stalled)$/), at: expect.any(String) });
  }
  expect(body.consumers.length).toBeGreaterThan(0);
  expect(body.deadLetters.map((d: { topic: string }) => d.topic)).toContain("saga.replies");
  expect(body.throughput).toMatchObject({ intervalSeconds: 5, completed: expect.any(Array), failed: expect.any(Array) });
});

test("the throughput series counts completed sagas, sampled from the orchestrators' own counters", async () => {
  const productId = await catalogProduct(customer.accessToken, 100, 5);
  const id = await startPurchase(customer.accessToken, [{ product_id: productId, quantity: 1 }]);
  await purchaseWhenTerminal(customer.accessToken, id);
  // The next sample (every 5 s) adds what was counted since the last one.
  await waitUntil(
    "a sample with a completed saga in it",
    async () => {
      const { completed } = (await asOperator("GET", "/ops/api/overview")).body.throughput;
      return completed.slice(-3).some((perSecond: number) => perSecond > 0);
    },
    60_000,
    1_000,
  );
});

test.each([
  ["GET", "/ops/api/sagas?status=BOGUS", undefined, 422, "VALIDATION_ERROR"],
  ["GET", "/ops/api/sagas?customerId=not-a-uuid", undefined, 422, "VALIDATION_ERROR"],
  ["GET", "/ops/api/sagas?changedSince=yesterday", undefined, 422, "VALIDATION_ERROR"],
  ["GET", "/ops/api/sagas/9d1c2f4e-5a6b-4c8d-9e0f-112233445566", undefined, 404, "SAGA_NOT_FOUND"],
  ["POST", "/ops/api/sagas/9d1c2f4e-5a6b-4c8d-9e0f-112233445566/abort", {}, 422, "VALIDATION_ERROR"],
  ["GET", "/ops/api/dead-letters/no.such.topic", undefined, 422, "VALIDATION_ERROR"],
  ["POST", "/ops/api/dead-letters/saga.replies/requeue", { partition: 0, offset: "999999999" }, 404, "DEAD_LETTER_NOT_FOUND"],
  ["POST", "/ops/api/dead-letters/saga.replies/requeue", { partition: -1, offset: "x" }, 422, "VALIDATION_ERROR"],
  ["POST", "/ops/api/outbox/replays", { database: "orders", from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z" }, 422, "VALIDATION_ERROR"],
  ["POST", "/ops/api/outbox/replays", { database: "order", from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }, 422, "INVALID_RANGE"],
  ["POST", "/ops/api/outbox/replays", { database: "order", from: "2999-01-01T00:00:00Z", to: "2999-01-02T00:00:00Z" }, 422, "INVALID_RANGE"],
  ["GET", "/ops/api/nothing-here", undefined, 404, "NOT_FOUND"],
  ["GET", "/ops/no-such-file.js", undefined, 404, "NOT_FOUND"],
])("%s %s is a %d %s", async (method, path, body, status, type) => {
  const res = await asOperator(method, path, body);
  expect(res.status).toBe(status);
  expect(res.body.error).toMatchObject({ status, type });
});

test("the dashboard's page and files are served with a policy that allows only their own origin", async () => {
  const page = await api("GET", "/ops/");
  expect(page.status).toBe(200);
  expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
  expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
  expect(String(page.body)).toContain('<script type="module" src="/ops/dashboard.js">');
  expect((await api("GET", "/ops/dashboard.js")).headers.get("content-type")).toBe("text/javascript; charset=utf-8");
});
