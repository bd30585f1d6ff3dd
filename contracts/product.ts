/** Messages the product service publishes on `product.events` (key: product or category id). */
export const PRODUCT_EVENTS_TOPIC = "product.events";

export interface ProductCreated {
  productId: number;
  categoryId: number;
  name: string;
  price: number;
  inventory: number;
}

export interface ProductUpdated {
  productId: number;
  changes: Record<string, unknown>;
}

export interface CategoryCreated {
  categoryId: number;
  name: string;
}
