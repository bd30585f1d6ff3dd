/**
 * How an order looks on the API: snake_case JSON, money as integer minor
 * units. The view is declared once as a schema: its type is read off it, and
 * the API document shows it.
 */
import { type Infer } from "../../lib/messages/message-declaration";
import { ORDER_STATUSES } from "./order-decisions";
import type { Order, OrderItem } from "./order-models";

const whole = { type: "number", integer: true } as const;

export const orderViewSchema = {
  id: "uuid",
  purchase_id: "uuid",
  status: { type: "enum", values: ORDER_STATUSES },
  /** Integer minor units of `currency`; null (as the currency) only on a tombstone, never a customer's own order. */
  amount: { ...whole, nullable: true },
  currency: { type: "string", nullable: true },
  items: { type: "array", items: { type: "object", props: { product_id: { ...whole, min: 1 }, quantity: { ...whole, min: 1 }, unit_price: whole } } },
  created_at: { type: "date" },
  updated_at: { type: "date" },
} as const;
export type OrderView = Infer<typeof orderViewSchema>;

export function orderView(order: Order, items: OrderItem[]): OrderView {
  return {
    id: order.id,
    purchase_id: order.purchase_id,
    status: order.status,
    amount: order.amount === null ? null : Number(order.amount),
    currency: order.currency,
    items: items.map((item) => ({ product_id: Number(item.product_id), quantity: item.quantity, unit_price: Number(item.unit_price) })),
    created_at: order.created_at.toISOString(),
    updated_at: order.updated_at.toISOString(),
  };
}

/** For operators and tests: the customer's view plus whose order it is. */
export function internalOrderView(order: Order, items: OrderItem[]) {
  return { ...orderView(order, items), customer_id: order.customer_id };
}
