/**
 * The orders table's state changes, each a single conditional statement so
 * the database, not a read-then-write in Node, decides what may happen:
 * `purchase_id` is unique (one order per purchase, tombstones included) and a
 * status only moves out of CREATED.
 */
import { randomUUID } from "node:crypto";
import type { Knex } from "knex";
import type { CreateOrder } from "../../contracts/purchase-saga";
import type { OrderState } from "./order-decisions";

export interface OrderRow extends OrderState {
  /** Null only on a tombstone: a purchase cancelled before its order was created. */
  customer_id: string | null;
  /** bigint columns arrive from pg as strings. */
  amount: string | null;
  currency: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface OrderItemRow {
  product_id: string;
  quantity: number;
  unit_price: string;
}

type Queryable = Knex | Knex.Transaction;

/** Inserts the order and its items; returns the new order's id, or null when the purchase already has a row. */
export async function insertOrder(trx: Knex.Transaction, order: CreateOrder): Promise<string | null> {
  const id = randomUUID();
  const inserted = await trx("orders")
    .insert({ id, purchase_id: order.purchaseId, customer_id: order.customerId, status: "CREATED", amount: order.amount, currency: order.currency })
    .onConflict("purchase_id")
    .ignore()
    .returning("id");
  if (inserted.length === 0) return null;
  await trx("order_items").insert(
    order.items.map((item) => ({ order_id: id, product_id: item.productId, quantity: item.quantity, unit_price: item.unitPrice })),
  );
  return id;
}

/** CREATED → APPROVED; returns the order's id, or null when the purchase has no CREATED order. */
export async function approveCreatedOrder(trx: Knex.Transaction, purchaseId: string): Promise<string | null> {
  const [approved] = await trx("orders")
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
  await trx("orders")
    .insert({ id: randomUUID(), purchase_id: purchaseId, status: "CANCELLED" })
    .onConflict("purchase_id")
    .merge({ status: "CANCELLED", updated_at: trx.fn.now() })
    .where("orders.status", "CREATED");
}

export function findOrderByPurchase(db: Queryable, purchaseId: string): Promise<OrderRow | undefined> {
  return db<OrderRow>("orders").where({ purchase_id: purchaseId }).first();
}

/** The order, only when `customerId` owns it. */
export function findOwnedOrder(db: Queryable, orderId: string, customerId: string): Promise<OrderRow | undefined> {
  return db<OrderRow>("orders").where({ id: orderId, customer_id: customerId }).first();
}

export function orderItems(db: Queryable, orderId: string): Promise<OrderItemRow[]> {
  return db("order_items").where({ order_id: orderId }).orderBy("product_id").select("product_id", "quantity", "unit_price");
}
