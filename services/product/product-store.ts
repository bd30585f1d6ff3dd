/**
 * The product database: the catalog (products, categories) and the
 * reservations that hold stock for purchases. Stock moves only by
 * conditional single statements, so the database, not a read-then-write in
 * Node, decides whether it suffices.
 */
import type { Knex } from "knex";
import type { CreateCategoryBody, CreateProductBody, ListProductsQuery } from "./catalog-validation";
import type { RecordedReservation, ReservationItem } from "./product-decisions";
import type { CategoryRow, ProductRow } from "./product-view";

type Queryable = Knex | Knex.Transaction;

const PRODUCT_COLUMNS = ["id", "category_id", "name", "description", "brand_name", "price", "inventory", "created_at", "updated_at"];
const CATEGORY_COLUMNS = ["id", "name", "description", "created_at"];

// ---- the catalog ----

export async function findProduct(db: Queryable, id: number): Promise<ProductRow | null> {
  const row: ProductRow | undefined = await db("products").where({ id }).first(PRODUCT_COLUMNS);
  return row ?? null;
}

/** The current price of each product named that exists, in one query. */
export async function productPrices(db: Queryable, ids: number[]): Promise<{ id: number; price: number }[]> {
  const rows: { id: string; price: string }[] = await db("products").whereIn("id", ids).select("id", "price");
  return rows.map((row) => ({ id: Number(row.id), price: Number(row.price) }));
}

/** One page of products (of a category, if given) in id order, and how many there are in all. */
export async function listProducts(db: Queryable, { category_id, page, page_size }: ListProductsQuery): Promise<{ rows: ProductRow[]; total: number }> {
  const scope = () => (category_id ? db("products").where({ category_id }) : db("products"));
  const [rows, [{ count }]] = await Promise.all([
    scope()
      .orderBy("id")
      .limit(page_size)
      .offset((page - 1) * page_size)
      .select(PRODUCT_COLUMNS),
    scope().count<{ count: string }[]>("* as count"),
  ]);
  return { rows, total: Number(count) };
}

export function listCategories(db: Queryable): Promise<CategoryRow[]> {
  return db("categories").orderBy("id").select(CATEGORY_COLUMNS);
}

export async function insertProduct(trx: Knex.Transaction, product: CreateProductBody): Promise<ProductRow> {
  const [row] = await trx("products").insert(product).returning(PRODUCT_COLUMNS);
  return row;
}

/** The product after the change, or null when there is no such product. */
export async function updateProduct(trx: Knex.Transaction, id: number, changes: Partial<CreateProductBody>): Promise<ProductRow | null> {
  const [row] = await trx("products")
    .where({ id })
    .update({ ...changes, updated_at: trx.fn.now() })
    .returning(PRODUCT_COLUMNS);
  return row ?? null;
}

export async function insertCategory(trx: Knex.Transaction, category: CreateCategoryBody): Promise<CategoryRow> {
  const [row] = await trx("categories").insert(category).returning(CATEGORY_COLUMNS);
  return row;
}

/** Every product id, in pages of `pageSize`, for rebuilding the cuckoo filter. */
export async function* productIdPages(db: Queryable, pageSize = 5_000): AsyncGenerator<string[]> {
  let after = 0;
  for (;;) {
    const ids: string[] = await db("products").where("id", ">", after).orderBy("id").limit(pageSize).pluck("id");
    if (ids.length === 0) return;
    yield ids.map(String);
    after = Number(ids[ids.length - 1]);
  }
}

// ---- reservations ----

export async function findReservation(trx: Knex.Transaction, purchaseId: string, options: { forUpdate?: boolean } = {}): Promise<RecordedReservation | null> {
  const query = trx("reservations").where({ purchase_id: purchaseId });
  const row: RecordedReservation | undefined = await (options.forUpdate ? query.forUpdate() : query).first("status", "reason");
  return row ?? null;
}

export async function reservedItems(trx: Knex.Transaction, purchaseId: string): Promise<ReservationItem[]> {
  const rows: { product_id: string; quantity: number }[] = await trx("reservation_items").where({ purchase_id: purchaseId }).orderBy("product_id");
  return rows.map((row) => ({ productId: Number(row.product_id), quantity: row.quantity }));
}

/** Units left of each product named that exists (an unlocked read). */
export async function stockOf(trx: Knex.Transaction, productIds: number[]): Promise<Map<number, number>> {
  const rows: { id: string; inventory: number }[] = await trx("products").whereIn("id", productIds).select("id", "inventory");
  return new Map(rows.map((row) => [Number(row.id), row.inventory]));
}

export async function recordReservation(trx: Knex.Transaction, purchaseId: string, items: ReservationItem[]): Promise<void> {
  await trx("reservations").insert({ purchase_id: purchaseId, status: "RESERVED" });
  await trx("reservation_items").insert(items.map((item) => ({ purchase_id: purchaseId, product_id: item.productId, quantity: item.quantity })));
}

/** A refused or early-released reservation: kept, so the purchase's later commands are answered alike. */
export async function recordUnreserved(trx: Knex.Transaction, purchaseId: string, status: "REJECTED" | "RELEASED", reason: string): Promise<void> {
  await trx("reservations").insert({ purchase_id: purchaseId, status, reason });
}

export async function forgetReservation(trx: Knex.Transaction, purchaseId: string): Promise<void> {
  await trx("reservation_items").where({ purchase_id: purchaseId }).delete();
  await trx("reservations").where({ purchase_id: purchaseId }).delete();
}

export async function markReleased(trx: Knex.Transaction, purchaseId: string): Promise<void> {
  await trx("reservations").where({ purchase_id: purchaseId, status: "RESERVED" }).update({ status: "RELEASED", updated_at: trx.fn.now() });
}

/** Takes the item's units if that many are left; false when they are not. */
export async function takeStock(trx: Knex.Transaction, item: ReservationItem): Promise<boolean> {
  const updated = await trx("products")
    .where({ id: item.productId })
    .andWhere("inventory", ">=", item.quantity)
    .update({ inventory: trx.raw("inventory - ?", [item.quantity]), updated_at: trx.fn.now() });
  return updated === 1;
}

export async function returnStock(trx: Knex.Transaction, item: ReservationItem): Promise<void> {
  await trx("products")
    .where({ id: item.productId })
    .update({ inventory: trx.raw("inventory + ?", [item.quantity]), updated_at: trx.fn.now() });
}

/**
 * Locks every product row a batch of reservations and releases will change,
 * in id order, before any change. Without it two batches that each take their
 * rows purchase by purchase can hold one product each and wait for the other's.
 */
export async function lockStockOf(trx: Knex.Transaction, reservations: ReservationItem[][], releases: string[]): Promise<void> {
  const released: string[] = releases.length > 0 ? await trx("reservation_items").whereIn("purchase_id", releases).distinct().pluck("product_id") : [];
  const ids = [...new Set([...reservations.flat().map((i) => i.productId), ...released.map(Number)])].sort((a, b) => a - b);
  if (ids.length > 0) await trx("products").whereIn("id", ids).orderBy("id").forUpdate().select("id");
}
