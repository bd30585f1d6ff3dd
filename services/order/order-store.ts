/**
 * The orders table's state changes, each a single conditional statement so
 * the database, not a read-then-write in Node, decides what may happen:
 * `purchase_id` is unique (one order per purchase, tombstones included) and a
 * status only moves out of CREATED. These run on every saga's path, so they
 * go through knex on the models' tables: objection's model building cost the
 * order service a fifth more CPU per saga (see the README's benchmarks);
 * reads for the API go through the models.
 */
import { randomUUID } from "node:crypto";
import type { Knex } from "knex";
import type { CreateOrder } from "../../contracts/purchase-saga";
import { customerHistory, type HistoryQuery } from "../../lib/history/customer-history";
import type { OrderStatus } from "./order-decisions";
import { Order, OrderItem } from "./order-models";

type Queryable = Knex | Knex.Transaction;

/** Inserts the order and its items; returns the new order's id, or null when the purchase already has a row. */
export async function insertOrder(trx: Knex.Transaction, order: CreateOrder): Promise<string | null> {
  const id = randomUUID();
  const inserted = await trx(Order.tableName)
    .insert({ id, purchase_id: order.purchaseId, customer_id: order.customerId, status: "CREATED", amount: order.amount, currency: order.currency })
    .onConflict("purchase_id")
    .ignore()
    .returning("id");
  if (inserted.length === 0) return null;
  await trx(OrderItem.tableName).insert(
    order.items.map((item) => ({ order_id: id, product_id: item.productId, quantity: item.quantity, unit_price: item.unitPrice })),
  );
  return id;
}

/** CREATED → APPROVED; returns the order's id, or null when the purchase has no CREATED order. */
export async function approveCreatedOrder(trx: Knex.Transaction, purchaseId: string): Promise<string | null> {
  const [approved]: Pick<Order, "id">[] = await trx(Order.tableName)
    .where({ purchase_id: purchaseId, status: "CREATED" })
    .update({ status: "APPROVED", updated_at: trx.fn.now() })
    .returning("id");
  return approved?.id ?? null;
}

/**
 * CREATED → CANCELLED, or, when the purchase has no order yet, a CANCELLED
 * tombstone that a late CreateOrder will find and be rejected by. One upsert,
 * so a CreateOrder racing it either lands first (and is cancelled) or finds
 * the tombstone. Orders already APPROVED or CANCELLED are left as they are.
 */
export async function cancelOrderOfPurchase(trx: Knex.Transaction, purchaseId: string): Promise<void> {
  await trx(Order.tableName)
    .insert({ id: randomUUID(), purchase_id: purchaseId, status: "CANCELLED" })
    .onConflict("purchase_id")
    .merge({ status: "CANCELLED", updated_at: trx.fn.now() })
    .where("orders.status", "CREATED");
}

export async function findOrderByPurchase(db: Queryable, purchaseId: string): Promise<Order | undefined> {
  return await Order.query(db).findOne({ purchase_id: purchaseId });
}

/** The order, only when `customerId` owns it. */
export async function findOwnedOrder(db: Queryable, orderId: string, customerId: string): Promise<Order | undefined> {
  return await Order.query(db).findOne({ id: orderId, customer_id: customerId });
}

export async function orderItems(db: Queryable, order: Order): Promise<OrderItem[]> {
  return await order.$relatedQuery("items", db).orderBy("product_id");
}

/** A page of the customer's orders, newest first, each with its items: fetched for the whole page in one query. */
export async function listCustomerOrders(db: Queryable, customerId: string, query: HistoryQuery<OrderStatus>): Promise<{ rows: Order[]; total: number }> {
  const orders = Order.query(db)
    .withGraphFetched("items")
    .modifyGraph("items", (items) => items.orderBy("product_id"));
  return await customerHistory(orders, customerId, query);
}
