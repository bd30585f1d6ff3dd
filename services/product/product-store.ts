/**
 * The product database: the catalog (products, categories) and the
 * reservations that hold stock for purchases. Stock moves only by
 * conditional single statements, so the database, not a read-then-write in
 * Node, decides whether it suffices.
 */
import type { Knex } from "knex";
import type { CreateCategoryBody, CreateProductBody, ListProductsQuery } from "./catalog-validation";
import type { RecordedReservation, ReservationItem } from "./product-decisions";
import { Category, Product, Reservation, ReservedItem } from "./product-models";

type Queryable = Knex | Knex.Transaction;

/** A product's columns from what a client sent: bigint columns as the strings pg uses for them. */
function productColumns(body: Partial<CreateProductBody>) {
  const { category_id, price, ...rest } = body;
  return {
    ...rest,
    ...(category_id === undefined ? {} : { category_id: String(category_id) }),
    ...(price === undefined ? {} : { price: String(price) }),
  };
}

// ---- the catalog ----

export async function findProduct(db: Queryable, id: number): Promise<Product | null> {
  return (await Product.query(db).findById(id)) ?? null;
}

/** The current price of each product named that exists, in one query. */
export async function productPrices(db: Queryable, ids: number[]): Promise<{ id: number; price: number }[]> {
  const products = await Product.query(db).findByIds(ids).select("id", "price");
  return products.map((product) => ({ id: Number(product.id), price: Number(product.price) }));
}

/** One page of products (of a category, if given) in id order, and how many there are in all. */
export async function listProducts(db: Queryable, { category_id, page, page_size }: ListProductsQuery): Promise<{ rows: Product[]; total: number }> {
  const { results, total } = await Product.query(db)
    .modify((query) => (category_id ? query.where({ category_id }) : query))
    .orderBy("id")
    .page(page - 1, page_size);
  return { rows: results, total };
}

export async function listCategories(db: Queryable): Promise<Category[]> {
  return await Category.query(db).orderBy("id");
}

export async function insertProduct(trx: Knex.Transaction, product: CreateProductBody): Promise<Product> {
  return await Product.query(trx).insert(productColumns(product)).returning("*");
}

/** The product after the change, or null when there is no such product. */
export async function updateProduct(trx: Knex.Transaction, id: number, changes: Partial<CreateProductBody>): Promise<Product | null> {
  const [product] = await Product.query(trx)
    .patch({ ...productColumns(changes), updated_at: trx.fn.now() })
    .where({ id })
    .returning("*");
  return product ?? null;
}

export async function insertCategory(trx: Knex.Transaction, category: CreateCategoryBody): Promise<Category> {
  return await Category.query(trx).insert(category).returning("*");
}

/** Every product id, in pages of `pageSize`, for rebuilding the cuckoo filter. */
export async function* productIdPages(db: Queryable, pageSize = 5_000): AsyncGenerator<string[]> {
  let after = 0;
  for (;;) {
    const page = await Product.query(db).where("id", ">", after).orderBy("id").limit(pageSize).select("id");
    if (page.length === 0) return;
    yield page.map((product) => String(product.id));
    after = Number(page[page.length - 1].id);
  }
}

// ---- reservations ----
// Every saga reserves and may release: these go through knex on the models' tables, as objection's model building cost CPU per saga (see the README's benchmarks).

export async function findReservation(trx: Knex.Transaction, purchaseId: string, options: { forUpdate?: boolean } = {}): Promise<RecordedReservation | null> {
  const query = trx(Reservation.tableName).where({ purchase_id: purchaseId });
  const row: RecordedReservation | undefined = await (options.forUpdate ? query.forUpdate() : query).first("status", "reason");
  return row ?? null;
}

export async function reservedItems(trx: Knex.Transaction, purchaseId: string): Promise<ReservationItem[]> {
  const rows: Pick<ReservedItem, "product_id" | "quantity">[] = await trx(ReservedItem.tableName).where({ purchase_id: purchaseId }).orderBy("product_id");
  return rows.map((row) => ({ productId: Number(row.product_id), quantity: row.quantity }));
}

/** Units left of each product named that exists (an unlocked read). */
export async function stockOf(trx: Knex.Transaction, productIds: number[]): Promise<Map<number, number>> {
  const rows: Pick<Product, "id" | "inventory">[] = await trx(Product.tableName).whereIn("id", productIds).select("id", "inventory");
  return new Map(rows.map((row) => [Number(row.id), row.inventory]));
}

export async function recordReservation(trx: Knex.Transaction, purchaseId: string, items: ReservationItem[]): Promise<void> {
  await trx(Reservation.tableName).insert({ purchase_id: purchaseId, status: "RESERVED" });
  await trx(ReservedItem.tableName).insert(items.map((item) => ({ purchase_id: purchaseId, product_id: item.productId, quantity: item.quantity })));
}

/** A refused or early-released reservation: kept, so the purchase's later commands are answered alike. */
export async function recordUnreserved(trx: Knex.Transaction, purchaseId: string, status: "REJECTED" | "RELEASED", reason: string): Promise<void> {
  await trx(Reservation.tableName).insert({ purchase_id: purchaseId, status, reason });
}

export async function forgetReservation(trx: Knex.Transaction, purchaseId: string): Promise<void> {
  await trx(ReservedItem.tableName).where({ purchase_id: purchaseId }).delete();
  await trx(Reservation.tableName).where({ purchase_id: purchaseId }).delete();
}

export async function markReleased(trx: Knex.Transaction, purchaseId: string): Promise<void> {
  await trx(Reservation.tableName).where({ purchase_id: purchaseId, status: "RESERVED" }).update({ status: "RELEASED", updated_at: trx.fn.now() });
}

/** Takes the item's units if that many are left; false when they are not. */
export async function takeStock(trx: Knex.Transaction, item: ReservationItem): Promise<boolean> {
  const updated = await trx(Product.tableName)
    .where({ id: item.productId })
    .andWhere("inventory", ">=", item.quantity)
    .update({ inventory: trx.raw("inventory - ?", [item.quantity]), updated_at: trx.fn.now() });
  return updated === 1;
}

export async function returnStock(trx: Knex.Transaction, item: ReservationItem): Promise<void> {
  await trx(Product.tableName)
    .where({ id: item.productId })
    .update({ inventory: trx.raw("inventory + ?", [item.quantity]), updated_at: trx.fn.now() });
}

/**
 * Locks every product row a batch of reservations and releases will change,
 * in id order, before any change. Without it two batches that each take their
 * rows purchase by purchase can hold one product each and wait for the other's.
 */
export async function lockStockOf(trx: Knex.Transaction, reservations: ReservationItem[][], releases: string[]): Promise<void> {
  const released: string[] = releases.length > 0 ? await trx(ReservedItem.tableName).whereIn("purchase_id", releases).distinct().pluck("product_id") : [];
  const ids = [...new Set([...reservations.flat().map((i) => i.productId), ...released.map(Number)])].sort((a, b) => a - b);
  if (ids.length > 0) await trx(Product.tableName).whereIn("id", ids).orderBy("id").forUpdate().select("id");
}
