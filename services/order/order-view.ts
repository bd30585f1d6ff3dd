/** How an order looks on the API: snake_case JSON, money as integer minor units. */
import type { Order, OrderItem } from "./order-models";

export function orderView(order: Order, items: OrderItem[]) {
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
