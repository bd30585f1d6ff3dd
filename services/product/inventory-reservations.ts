/**
 * The product service's part in the purchase saga: reserve every item of a
 * purchase or none, and release a reservation. Both are idempotent by
 * purchase id, and a release that overtakes its reservation leaves a
 * RELEASED mark so the late reservation is refused instead of leaking stock.
 */
import type { Knex } from "knex";

export type ReservationOutcome = { reserved: true; productIds: number[] } | { reserved: false; reason: string };

interface Item {
  productId: number;
  quantity: number;
}

/** Merges repeated product ids and sorts by id: rows are locked in one global order, so concurrent sagas cannot deadlock. */
function normalise(items: Item[]): Item[] {
  const totals = new Map<number, number>();
  for (const item of items) totals.set(item.productId, (totals.get(item.productId) ?? 0) + item.quantity);
  return [...totals].map(([productId, quantity]) => ({ productId, quantity })).sort((a, b) => a.productId - b.productId);
}

/**
 * The stock itself is taken last, by conditional decrements: alone, a
 * sought-after product's row is then locked only from its UPDATE to the
 * commit. In a batch its row is locked once for the batch (lockStockOf), and
 * the batch's reservations share that one lock time.
 */
export async function reserveInventory(trx: Knex.Transaction, purchaseId: string, requested: Item[]): Promise<ReservationOutcome> {
  const existing = await trx("reservations").where({ purchase_id: purchaseId }).first();
  if (existing) {
    if (existing.status === "RESERVED") {
      const productIds = await trx("reservation_items").where({ purchase_id: purchaseId }).pluck("product_id");
      return { reserved: true, productIds: productIds.map(Number) };
    }
    return { reserved: false, reason: existing.reason ?? `reservation already ${existing.status.toLowerCase()}` };
  }

  const items = normalise(requested);
  const ids = items.map((i) => i.productId);
  // An unlocked look first: unknown products and plain shortfalls are refused without waiting for any lock.
  const shortfall = await shortfallOf(trx, items);
  if (shortfall) return reject(trx, purchaseId, shortfall);

  await trx("reservations").insert({ purchase_id: purchaseId, status: "RESERVED" });
  await trx("reservation_items").insert(items.map((i) => ({ purchase_id: purchaseId, product_id: i.productId, quantity: i.quantity })));
  // One conditional decrement per item, in id order: concurrent reservations lock rows in one global order, so cannot deadlock.
  const taken: Item[] = [];
  for (const item of items) {
    const updated = await trx("products")
      .where({ id: item.productId })
      .andWhere("inventory", ">=", item.quantity)
      .update({ inventory: trx.raw("inventory - ?", [item.quantity]), updated_at: trx.fn.now() });
    if (updated !== 1) break;
    taken.push(item);
  }
  if (taken.length === items.length) return { reserved: true, productIds: ids };

  // Another reservation got there between the look and the update: give back what was taken, and refuse.
  for (const item of taken) {
    await trx("products")
      .where({ id: item.productId })
      .update({ inventory: trx.raw("inventory + ?", [item.quantity]) });
  }
  await trx("reservation_items").where({ purchase_id: purchaseId }).delete();
  await trx("reservations").where({ purchase_id: purchaseId }).delete();
  return reject(trx, purchaseId, (await shortfallOf(trx, items)) ?? "stock changed during the reservation");
}

async function shortfallOf(trx: Knex.Transaction, items: Item[]): Promise<string | null> {
  const rows: { id: string; inventory: number }[] = await trx("products")
    .whereIn(
      "id",
      items.map((i) => i.productId),
    )
    .select("id", "inventory");
  const stock = new Map(rows.map((r) => [Number(r.id), r.inventory]));
  const short = items.find((i) => (stock.get(i.productId) ?? -1) < i.quantity);
  if (!short) return null;
  return stock.has(short.productId)
    ? `insufficient stock for product ${short.productId}: ${stock.get(short.productId)} left, ${short.quantity} requested`
    : `unknown product ${short.productId}`;
}

async function reject(trx: Knex.Transaction, purchaseId: string, reason: string): Promise<ReservationOutcome> {
  await trx("reservations").insert({ purchase_id: purchaseId, status: "REJECTED", reason });
  return { reserved: false, reason };
}

/**
 * For a batch of reservations and releases in one transaction: locks every
 * product row they will change, in id order, before any change. Without it
 * two batches that each take their rows purchase by purchase can hold one
 * product each and wait for the other's.
 */
export async function lockStockOf(trx: Knex.Transaction, reservations: Item[][], releases: string[]): Promise<void> {
  const released: string[] = releases.length > 0 ? await trx("reservation_items").whereIn("purchase_id", releases).distinct().pluck("product_id") : [];
  const ids = [...new Set([...reservations.flat().map((i) => i.productId), ...released.map(Number)])].sort((a, b) => a - b);
  if (ids.length > 0) await trx("products").whereIn("id", ids).orderBy("id").forUpdate().select("id");
}

/** @returns the products whose stock went back up (none when there was nothing to release). */
export async function releaseInventory(trx: Knex.Transaction, purchaseId: string): Promise<number[]> {
  const existing = await trx("reservations").where({ purchase_id: purchaseId }).forUpdate().first();
  if (!existing) {
    await trx("reservations").insert({ purchase_id: purchaseId, status: "RELEASED", reason: "released before it was reserved" });
    return [];
  }
  if (existing.status !== "RESERVED") return [];

  const items: { product_id: string; quantity: number }[] = await trx("reservation_items").where({ purchase_id: purchaseId }).orderBy("product_id");
  for (const item of items) {
    await trx("products")
      .where({ id: item.product_id })
      .update({ inventory: trx.raw("inventory + ?", [item.quantity]), updated_at: trx.fn.now() });
  }
  await trx("reservations").where({ purchase_id: purchaseId, status: "RESERVED" }).update({ status: "RELEASED", updated_at: trx.fn.now() });
  return items.map((i) => Number(i.product_id));
}
