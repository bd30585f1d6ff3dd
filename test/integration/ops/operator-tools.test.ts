/**
 * The operator's tools against the running system: saga listing and
 * inspection through the REPL commands, outbox lag, dead-letter listing and
 * requeueing, and the product filter's stats.
 */
import { randomUUID } from "node:crypto";
import { ServiceBroker } from "moleculer";
import config from "../../../moleculer.config";
import { deadLetterTopic, DEAD_LETTER_REASON_HEADER } from "../../../mixins/idempotent-channel";
import { listDeadLetters, requeueDeadLetter } from "../../../ops/dead-letters";
import { outboxStatus } from "../../../ops/outbox-status";
import { replCommands } from "../../../ops/repl-commands";
import { api, registerCustomer } from "../../support/http";
import { collectTopic, createTopics, headerValue, publishRaw } from "../../support/kafka";
import { catalogProduct, purchaseWhenTerminal, startPurchase } from "../../support/purchases";
import { waitUntil } from "../../support/wait";

let broker: ServiceBroker;

/** Runs a REPL command and returns what it printed. */
async function repl(command: string, args: Record<string, unknown> = {}): Promise<string> {
  const definition = replCommands.find((c) => c.command.split(" ")[0] === command)!;
  const printed: string[] = [];
  const log = jest.spyOn(console, "log").mockImplementation((...parts: unknown[]) => void printed.push(parts.join(" ")));
  try {
    await definition.action(broker, { options: {}, ...args });
  } finally {
    log.mockRestore();
  }
  return printed.join("\n");
}

beforeAll(async () => {
  broker = new ServiceBroker({ ...config, nodeID: `operator-test-${process.pid}`, logger: false });
  await broker.start();
  await broker.waitForServices(["orchestrator", "product"]);
});

afterAll(() => broker.stop());

test("sagas and saga show a finished purchase and its whole log", async () => {
  const customer = await registerCustomer();
  const productId = await catalogProduct(customer.accessToken, 300, 5);
  const id = await startPurchase(customer.accessToken, [{ product_id: productId, quantity: 1 }]);
  await purchaseWhenTerminal(customer.accessToken, id);

  const listed = JSON.parse(await repl("sagas", { state: "completed" }));
  expect(JSON.stringify(listed)).toContain(id);
  const shown = JSON.parse(await repl("saga", { id }));
  expect(JSON.stringify(shown)).toContain("saga_completed");
  expect(JSON.stringify(shown)).toContain("reply_accepted");
  await expect(repl("saga-retry", { id })).rejects.toMatchObject({ code: 409 });
});

test("outbox lag lists every database with an active Debezium slot", async () => {
  const status = await outboxStatus();
  expect(status.map((s) => s.database).sort()).toEqual(["account", "orchestrator", "order", "payment", "product", "purchase"]);
  expect(status.every((s) => s.slotActive === true && s.rows >= 0 && (s.slotLagBytes ?? -1) >= 0)).toBe(true);
});

test("dead letters are listed with their reason and can be requeued without it", async () => {
  const topic = `itest.${randomUUID().slice(0, 8)}.ops`;
  await createTopics([topic, deadLetterTopic(topic)], 1);
  const id = randomUUID();
  await publishRaw(deadLetterTopic(topic), [
    {
      key: "k1",
      value: JSON.stringify({ n: 1 }),
      headers: { id, type: "Thing", traceparent: "00-abc-def-01", [DEAD_LETTER_REASON_HEADER]: "handler failed 5 times: boom", "x-original-channel": topic },
    },
  ]);

  const letters = await listDeadLetters(topic);
  expect(letters).toEqual([
    expect.objectContaining({ partition: 0, offset: "0", key: "k1", id, type: "Thing", reason: "handler failed 5 times: boom", originalTopic: topic }),
  ]);

  const reader = await collectTopic(topic);
  try {
    await requeueDeadLetter(topic, 0, "0");
    const requeued = await waitUntil("the requeued message", () => reader.records.find((r) => headerValue(r, "id") === id));
    expect(requeued.value?.toString()).toBe(JSON.stringify({ n: 1 }));
    expect(headerValue(requeued, "traceparent")).toBe("00-abc-def-01");
    expect(headerValue(requeued, DEAD_LETTER_REASON_HEADER)).toBeUndefined();
  } finally {
    await reader.stop();
  }
  await expect(requeueDeadLetter(topic, 0, "99")).rejects.toThrow(/no dead letter/);
});

test("cache-filter reports the product filter, built and holding the catalog", async () => {
  const stats = JSON.parse(await repl("cache-filter"));
  expect(stats).toMatchObject({ name: "products", ready: true, bucketSize: 4 });
  expect(stats.items).toBeGreaterThan(0);
  expect(stats.falsePositiveRate).toBeLessThanOrEqual(stats.falsePositiveBound);
});

test("grant-role makes an account an admin, whose next refreshed token carries the role; an unknown email is a 404", async () => {
  const customer = await registerCustomer();
  const granted = JSON.parse(await repl("grant-role", { email: customer.email.toUpperCase(), role: "admin" }));
  expect(granted).toEqual({ customer_id: customer.customerId, email: customer.email, role: "admin" });

  const refreshed = await api("POST", "/api/v1/account/auth/refresh", { body: { refresh_token: customer.refreshToken } });
  expect(refreshed.status).toBe(200);
  const claims = JSON.parse(Buffer.from(refreshed.body.access_token.split(".")[1], "base64url").toString());
  expect(claims.role).toBe("admin");

  await expect(repl("grant-role", { email: `nobody-${randomUUID()}@example.com`, role: "admin" })).rejects.toMatchObject({ code: 404 });
  await expect(repl("grant-role", { email: customer.email, role: "root" })).rejects.toMatchObject({ code: 422 });
});
