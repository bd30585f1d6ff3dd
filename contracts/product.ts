/** Messages the product service publishes on `product.events` (key: product or category id). */
export const PRODUCT_EVENTS_TOPIC = "product.events";

/** The message types on `product.events`. */
export const PRODUCT_EVENT_TYPES = { ProductCreated: "ProductCreated", ProductUpdated: "ProductUpdated", CategoryCreated: "CategoryCreated" } as const;

/** The error type `product.get` answers for an id that names no product (with code 404, which Moleculer also uses for a missing service). */
export const PRODUCT_NOT_FOUND = "NOT_FOUND";

/** `product.prices` (internal): the current unit prices of the products named, in minor units; a product that does not exist is left out. */
export interface ProductPricesParams {
  ids: number[];
}
export interface ProductPrice {
  id: number;
  price: number;
}

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
