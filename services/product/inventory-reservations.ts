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
  const rows: { id: string; inventory: number }[] = await trx("products").whereIn("id", ids).orderBy("id").forUpdate().select("id", "inventory");
  const stock = new Map(rows.map((r) => [Number(r.id), r.inventory]));
  const shortfall = items.find((i) => (stock.get(i.productId) ?? -1) < i.quantity);
  if (shortfall) {
    const reason = stock.has(shortfall.productId)
      ? `insufficient stock for product ${shortfall.productId}: ${stock.get(shortfall.productId)} left, ${shortfall.quantity} requested`
      : `unknown product ${shortfall.productId}`;
    await trx("reservations").insert({ purchase_id: purchaseId, status: "REJECTED", reason });
    return { reserved: false, reason };
  }

  for (const item of items) {
    // Rows are locked above; the condition keeps the constraint's promise even if that ever changes.
    const updated = await trx("products")
      .where({ id: item.productId })
      .andWhere("inventory", ">=", item.quantity)
      .update({ inventory: trx.raw("inventory - ?", [item.quantity]), updated_at: trx.fn.now() });
    if (updated !== 1) throw new Error(`stock of product ${item.productId} changed under its lock`);
  }
  await trx("reservations").insert({ purchase_id: purchaseId, status: "RESERVED" });
  await trx("reservation_items").insert(items.map((i) => ({ purchase_id: purchaseId, product_id: i.productId, quantity: i.quantity })));
  return { reserved: true, productIds: ids };
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
