/** How an order looks on the API: snake_case JSON, money as integer minor units. */
import type { OrderItemRow, OrderRow } from "./order-store";

export function orderView(order: OrderRow, items: OrderItemRow[]) {
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
export function internalOrderView(order: OrderRow, items: OrderItemRow[]) {
  return { ...orderView(order, items), customer_id: order.customer_id };
}
