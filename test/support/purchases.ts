/** Purchases over HTTP as a client makes them: create, follow, read the event stream. */
import { randomUUID } from "node:crypto";

import { isFinal } from "../../lib/saga/state";
import { api, baseUrl } from "./http";
import { waitUntil } from "./wait";
import { PurchaseView } from "../../services/purchase/purchase-view";

export async function catalogProduct(token: string, price: number, inventory: number): Promise<number> {
  const category = await api("POST", "/api/v1/categories", { token, body: { name: `e2e-${randomUUID()}` } });
  const product = await api("POST", "/api/v1/products", { token, body: { category_id: category.body.id, name: "E2E product", price, inventory } });
  if (product.status !== 201) throw new Error(`product not created: ${JSON.stringify(product.body)}`);
  return product.body.id;
}

export async function startPurchase(token: string, items: { product_id: number; quantity: number }[]): Promise<string> {
  const res = await api("POST", "/api/v1/purchases", { token, body: { order_items: items, payment: { currency_code: "VND" } } });
  if (res.status !== 202) throw new Error(`purchase refused: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

/** Polls gently: hundreds of these run at once in the concurrency tests. */
export async function purchaseWhenTerminal(token: string, id: string, timeoutMs = 60_000): Promise<PurchaseView> {
  return waitUntil(
    `purchase ${id} to end`,
    async () => {
      const res = await api<PurchaseView>("GET", `/api/v1/purchases/${id}`, { token });
      return isFinal(res.body.status) && res.body;
    },
    timeoutMs,
    200,
  );
}

/** Reads a purchase's Server-Sent Events until the server ends the stream. */
export async function readPurchaseEvents(token: string, id: string, base = baseUrl()): Promise<PurchaseView[]> {
  const res = await fetch(`${base}/api/v1/purchases/${id}/events`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`event stream refused: ${res.status} ${await res.text()}`);
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const text = await res.text();
  return text
    .split("\n\n")
    .map((block) => block.split("\n").find((line) => line.startsWith("data: ")))
    .filter((line): line is string => line !== undefined)
    .map((line) => JSON.parse(line.slice("data: ".length)));
}

/** `count` purchases of one unit of a product, sent at once, spread over the customers; resolves when each is terminal. */
export async function buyAtOnce(customers: { accessToken: string }[], productId: number, count: number): Promise<{ id: string; view: PurchaseView }[]> {
  const started = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const { accessToken } = customers[i % customers.length];
      return { token: accessToken, id: await startPurchase(accessToken, [{ product_id: productId, quantity: 1 }]) };
    }),
  );
  return Promise.all(started.map(async ({ token, id }) => ({ id, view: await purchaseWhenTerminal(token, id, 180_000) })));
}
