/**
 * The product service as the saga's first participant, driven the way the
 * orchestrator drives it: commands written to an outbox, replies read from
 * the reply topic. All or nothing, idempotent, and a release that overtakes
 * its reservation wins.
 */
import { randomUUID } from "node:crypto";
import knex from "knex";
import { InventoryRejected, InventoryReleased, InventoryReserved, ReleaseInventory, ReserveInventory } from "../../../contracts/purchase-saga";
import { PRODUCT_COMMANDS_TOPIC } from "../../../contracts/topics";
import { databaseUrl } from "../../../lib/environment";
import { OutboxWriter } from "../../../lib/outbox/outbox-writer";
import type { SagaCommand, SagaReply } from "../../../lib/saga/messages";
import { api, registerCustomer } from "../../support/http";
import { collectTopic, createTopics } from "../../support/kafka";
import { productDb } from "../../support/product-queries";
import { waitUntil } from "../../support/wait";

const replyTopic = `itest.${randomUUID().slice(0, 8)}.replies`;
const orchestratorDb = knex({ client: "pg", connection: databaseUrl("orchestrator"), pool: { min: 0, max: 2 } });
const outbox = new OutboxWriter();
let replies: Awaited<ReturnType<typeof collectTopic>>;
let token: string;
let categoryId: number;

async function product(inventory: number): Promise<number> {
  const res = await api("POST", "/api/v1/products", { token, body: { category_id: categoryId, name: "Stocked", price: 100, inventory } });
  return res.body.id;
}

const stock = async (id: number) => (await productDb("products").where({ id }).first("inventory")).inventory;

/** Sends a command as the orchestrator would and returns the reply to it. */
async function send(type: string, purchaseId: string, payload: object, attempt = 1): Promise<SagaReply<{ reason?: string }>> {
  const command: SagaCommand = {
    type,
    correlation: { sagaType: "purchase", sagaId: purchaseId, step: 0, direction: type === ReleaseInventory.name ? "compensate" : "forward", attempt },
    replyTo: replyTopic,
    payload: { purchaseId, ...payload },
  };
  const already = replies.records.length;
  await orchestratorDb.transaction((trx) => outbox.append(trx, { topic: PRODUCT_COMMANDS_TOPIC, key: purchaseId, type, payload: command }));
  const record = await waitUntil(
    `the reply to ${type}`,
    () =>
      replies.records.slice(already).find((r) => {
        const reply = JSON.parse(r.value!.toString()) as SagaReply;
        return reply.correlation.sagaId === purchaseId && reply.correlation.attempt === attempt;
      }),
    60_000,
  );
  return JSON.parse(record.value!.toString());
}

beforeAll(async () => {
  await createTopics([replyTopic]);
  replies = await collectTopic(replyTopic);
  token = (await registerCustomer()).accessToken;
  categoryId = (await api("POST", "/api/v1/categories", { token, body: { name: `stock-${randomUUID()}` } })).body.id;
});

afterAll(async () => {
  await replies.stop();
  await orchestratorDb.destroy();
  await productDb.destroy();
});

test("a reservation takes every item or none", async () => {
  const [a, b] = [await product(10), await product(3)];
  const tooMuch = await send(ReserveInventory.name, randomUUID(), {
    items: [
      { productId: a, quantity: 2 },
      { productId: b, quantity: 4 },
    ],
  });
  expect(tooMuch.type).toBe(InventoryRejected.name);
  expect(tooMuch.payload.reason).toMatch(new RegExp(`product ${b}`));
  expect([await stock(a), await stock(b)]).toEqual([10, 3]);

  const fits = await send(ReserveInventory.name, randomUUID(), {
    items: [
      { productId: a, quantity: 2 },
      { productId: b, quantity: 3 },
    ],
  });
  expect(fits.type).toBe(InventoryReserved.name);
  expect([await stock(a), await stock(b)]).toEqual([8, 0]);
  // The product read path sees the new stock, not a stale cached one.
  expect((await api("GET", `/api/v1/products/${b}`)).body.inventory).toBe(0);
});

test("the same reservation twice takes stock once; release gives it back once", async () => {
  const id = await product(5);
  const purchaseId = randomUUID();
  expect((await send(ReserveInventory.name, purchaseId, { items: [{ productId: id, quantity: 2 }] })).type).toBe(InventoryReserved.name);
  expect((await send(ReserveInventory.name, purchaseId, { items: [{ productId: id, quantity: 2 }] }, 2)).type).toBe(InventoryReserved.name);
  expect(await stock(id)).toBe(3);

  expect((await send(ReleaseInventory.name, purchaseId, {})).type).toBe(InventoryReleased.name);
  expect((await send(ReleaseInventory.name, purchaseId, {}, 2)).type).toBe(InventoryReleased.name);
  expect(await stock(id)).toBe(5);
});

test("a release that arrives before its reservation makes the late reservation fail", async () => {
  const id = await product(5);
  const purchaseId = randomUUID();
  expect((await send(ReleaseInventory.name, purchaseId, {})).type).toBe(InventoryReleased.name);
  const late = await send(ReserveInventory.name, purchaseId, { items: [{ productId: id, quantity: 1 }] });
  expect(late.type).toBe(InventoryRejected.name);
  expect(await stock(id)).toBe(5);
});

test("an unknown product rejects the whole reservation", async () => {
  const id = await product(5);
  const reply = await send(ReserveInventory.name, randomUUID(), {
    items: [
      { productId: id, quantity: 1 },
      { productId: 2_000_000_000, quantity: 1 },
    ],
  });
  expect(reply.type).toBe(InventoryRejected.name);
  expect(reply.payload.reason).toMatch(/unknown product 2000000000/);
  expect(await stock(id)).toBe(5);
});
