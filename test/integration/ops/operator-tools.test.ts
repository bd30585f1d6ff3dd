/**
 * The operator's console against the running system: saga listing and
 * inspection, outbox lag and replay, consumer lag, dead-letter listing and
 * requeueing, and the product filter's stats, each through its REPL command
 * (which calls the same service action as the dashboard).
 */
import { ServiceBroker } from "moleculer";
import config from "../../../moleculer.config";
import { replCommands } from "../../../ops/repl-commands";
import { stageDeadLetter } from "../../support/dead-letters";
import { api, registerCustomer } from "../../support/http";
import { kafka } from "../../support/kafka";
import { catalogProduct, purchaseWhenTerminal, startPurchase } from "../../support/purchases";
import { waitUntil } from "../../support/wait";

let broker: ServiceBroker;

/** Runs a REPL command; what it printed, and what it said on stderr. */
async function run(command: string, args: Record<string, unknown> = {}, options: Record<string, unknown> = {}): Promise<{ out: string; err: string }> {
  const definition = replCommands.find((c) => c.command.split(" ")[0] === command)!;
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, "log").mockImplementation((...parts: unknown[]) => void out.push(parts.join(" ")));
  const error = jest.spyOn(console, "error").mockImplementation((...parts: unknown[]) => void err.push(parts.join(" ")));
  try {
    await definition.action(broker, { options, ...args });
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
  return { out: out.join("\n"), err: err.join("\n") };
}

/** What a command printed; fails the test if it reported an error. */
async function repl(command: string, args: Record<string, unknown> = {}, options: Record<string, unknown> = {}): Promise<string> {
  const { out, err } = await run(command, args, options);
  expect(err).toBe("");
  return out;
}

/** The one line a refused command said. */
async function refusal(command: string, args: Record<string, unknown> = {}, options: Record<string, unknown> = {}): Promise<string> {
  const { out, err } = await run(command, args, options);
  expect(out).toBe("");
  expect(err.split("\n")).toHaveLength(1);
  return err;
}

beforeAll(async () => {
  broker = new ServiceBroker({ ...config, nodeID: `operator-test-${process.pid}`, logger: false });
  await broker.start();
  await broker.waitForServices(["orchestrator", "product", "account", "ops"]);
});

afterAll(() => broker.stop());

test("sagas and saga show a finished purchase and its whole log", async () => {
  const customer = await registerCustomer();
  const productId = await catalogProduct(customer.accessToken, 300, 5);
  const id = await startPurchase(customer.accessToken, [{ product_id: productId, quantity: 1 }]);
  await purchaseWhenTerminal(customer.accessToken, id);

  const listed = JSON.parse(await repl("sagas", { state: "completed" }, { json: true }));
  expect(JSON.stringify(listed)).toContain(id);
  const shown = JSON.parse(await repl("saga", { id }, { json: true }));
  expect(JSON.stringify(shown)).toContain("saga_completed");
  expect(JSON.stringify(shown)).toContain("reply_accepted");
  expect(await refusal("saga-retry", { id })).toMatch(/^error: .*NEEDS_ATTENTION|^error: .*parked/i);
});

test("sagas is a table of one page, newest first, with step names; the next page is asked for", async () => {
  const table = await repl("sagas", { state: "COMPLETED" }, { limit: "2" });
  expect(table).toMatch(/│ id\s+│ status\s+│ step\s+│ attempt │ updated\s+│/);
  expect(table.match(/COMPLETED/g)).toHaveLength(2);
  expect(table).toContain("approve-order");
  expect(table).toMatch(/page 1; --page 2 for more$/);
  const second = await repl("sagas", { state: "completed" }, { limit: "2", page: "2" });
  expect(second).not.toBe(table);
});

test("saga prints one line and a timeline of its log with step names and times", async () => {
  const [listed] = JSON.parse(await repl("sagas", { state: "completed" }, { json: true, limit: "1" }));
  const timeline = await repl("saga", { id: listed.id });
  const [summary, ...rows] = timeline.split("\n");
  expect(summary).toBe(`saga ${listed.id}: COMPLETED at approve-order (attempt 1)`);
  const table = rows.join("\n");
  for (const step of ["reserve-inventory", "create-order", "take-payment", "approve-order"]) expect(table).toContain(step);
  expect(table).toMatch(/'command_sent'\s+│ 'reserve-inventory'\s+│ 'ReserveInventory, direction forward, attempt 1'/);
  expect(table).toContain("saga_completed");
});

test.each([
  ["sagas", { state: "bogus" }, {}, /^error: no saga state "bogus"; the states are running, compensating, needs_attention, completed, failed$/],
  ["sagas", {}, { limit: "0" }, /^error: --limit takes a whole number from 1 to 500, not "0"$/],
  ["saga", { id: "not-a-uuid" }, {}, /^error: "not-a-uuid" is not a saga id/],
  ["saga", { id: "9d1c2f4e-5a6b-4c8d-9e0f-112233445566" }, {}, /^error: Saga 9d1c2f4e-5a6b-4c8d-9e0f-112233445566 not found$/],
  ["dead-letters", { topic: "no.such.topic" }, {}, /^error: no topic "no.such.topic"; the topics are account\.events, .*saga\.replies$/],
  ["outbox-replay", { database: "orders", from: "2026-01-01T00:00:00Z" }, {}, /^error: no database "orders"; the databases are account, product, order/],
  ["outbox-replay", { database: "order", from: "yesterday" }, {}, /^error: from "yesterday" is not a time/],
  [
    "outbox-replay",
    { database: "order", from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z" },
    {},
    /^error: from \(2026-02-01T00:00:00.000Z\) must come before to/,
  ],
  ["grant-role", { email: "nobody-at-all@example.com", role: "admin" }, {}, /^error: Customer not found$/],
  [
    "grant-role",
    { email: "someone@example.com", role: "root" },
    {},
    /^error: The 'role' field value 'customer, admin' does not match any of the allowed values\.$|^error: .*role/,
  ],
])("%s %j %j is refused in one line that says what would do", async (command, args, options, expected) => {
  expect(await refusal(command, args, options)).toMatch(expected);
});

test("outbox-lag lists every database with an active Debezium slot and what waits for it", async () => {
  const rows = JSON.parse(await repl("outbox-lag", {}, { json: true }));
  expect(rows.map((r: { database: string }) => r.database).sort()).toEqual(["account", "orchestrator", "order", "payment", "product", "purchase"]);
  for (const row of rows) {
    expect(row).toMatchObject({ slotActive: true, rowsKept: expect.any(Number), rowsWaiting: expect.any(Number) });
    expect(row.rowsWaiting).toBeLessThanOrEqual(row.rowsKept);
  }
  expect(await repl("outbox-lag")).toMatch(/│ database\s+│ kept\s+│ waiting\s+│ oldest waiting\s+│/);
});

test("consumer-lag lists the services' consumer groups, and no operator's", async () => {
  const lags = JSON.parse(await repl("consumer-lag", {}, { json: true }));
  const groups = lags.map((l: { group: string }) => l.group);
  expect(groups.some((g: string) => g.includes("orchestrator"))).toBe(true);
  expect(groups.some((g: string) => g.startsWith("operator-"))).toBe(false);
  expect(lags.every((l: { messages: number }) => l.messages >= 0)).toBe(true);
});

test("outbox-replay republishes a range, and outbox-replays shows it done", async () => {
  const from = new Date(Date.now() - 60_000).toISOString();
  expect(await repl("outbox-replay", { database: "account", from })).toMatch(
    /^replay of account's \d+ outbox rows from .* requested \(Debezium signal .*\); outbox-replays shows/,
  );
  await waitUntil("the replay to be read to its end", async () => {
    const [latest] = JSON.parse(await repl("outbox-replays", {}, { json: true }));
    return latest?.database === "account" && latest.from === from && latest.progress?.done;
  });
  expect(await repl("outbox-replays")).toMatch(/chunks, done/);
});

test("dead letters are listed with their reason, leaving no consumer group behind, and requeued without it, by whom", async () => {
  const letter = await stageDeadLetter();
  const admin = kafka.admin();
  await admin.connect();
  const listingGroups = async () => (await admin.listGroups()).groups.map((g) => g.groupId).filter((group) => group.startsWith("operator-dead-letters-"));
  const groupsBefore = await listingGroups();
  const listed = JSON.parse(await repl("dead-letters", { topic: letter.topic }, { json: true }));
  // Listing read through a consumer group of its own, and deleted it.
  expect(await listingGroups().finally(() => admin.disconnect())).toEqual(groupsBefore);
  const found = listed.find((l: { id: string }) => l.id === letter.id);
  expect(found).toMatchObject({ type: "CustomerRegistered", reason: letter.reason, originalTopic: letter.topic, requeued: null });
  expect(await repl("dead-letters", { topic: letter.topic })).toContain(letter.reason);

  expect(await repl("dead-letter-requeue", { topic: letter.topic, partition: found.partition, offset: found.offset })).toBe(
    `requeued CustomerRegistered ${letter.id} to ${letter.topic}`,
  );
  // Applied: the payment service opened the customer's wallet.
  await waitUntil("the requeued message to be applied", () => broker.call("payment.customerWallet", { customerId: letter.customerId }));
  const after = JSON.parse(await repl("dead-letters", { topic: letter.topic }, { json: true })).find((l: { id: string }) => l.id === letter.id);
  expect(after.requeued).toMatchObject({ by: `node ${broker.nodeID}`, at: expect.any(String) });
  expect(await refusal("dead-letter-requeue", { topic: letter.topic, partition: found.partition, offset: "999999999" })).toMatch(
    /^error: No dead letter of account\.events at partition \d+, offset 999999999$/,
  );
});

test("cache-filter reports the product filter, built and holding the catalog", async () => {
  const stats = JSON.parse(await repl("cache-filter"));
  expect(stats).toMatchObject({ name: "products", ready: true, bucketSize: 4 });
  expect(stats.items).toBeGreaterThan(0);
  expect(stats.falsePositiveRate).toBeLessThanOrEqual(stats.falsePositiveBound);
});

test("grant-role makes an account an admin, whose next refreshed token carries the role", async () => {
  const customer = await registerCustomer();
  expect(await repl("grant-role", { email: customer.email.toUpperCase(), role: "admin" })).toBe(`${customer.email} (${customer.customerId}) is now admin`);

  const refreshed = await api("POST", "/api/v1/account/auth/refresh", { body: { refresh_token: customer.refreshToken } });
  expect(refreshed.status).toBe(200);
  const claims = JSON.parse(Buffer.from(refreshed.body.access_token.split(".")[1], "base64url").toString());
  expect(claims.role).toBe("admin");
});
