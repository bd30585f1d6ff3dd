/** Messages the product service publishes on `product.events` (key: product or category id), and its internal price call. */
import { declareMessage, type PayloadOf } from "../lib/messages/message-declaration";
import { PRODUCT_EVENTS_TOPIC } from "./topics";

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

const PRODUCT_ID = { type: "number", integer: true, positive: true } as const;

export const ProductCreated = declareMessage("ProductCreated", PRODUCT_EVENTS_TOPIC, {
  productId: PRODUCT_ID,
  categoryId: PRODUCT_ID,
  name: "string",
  price: "number",
  inventory: "number",
});
export type ProductCreated = PayloadOf<typeof ProductCreated>;

/** `changes`: the fields the update set, by name. */
export const ProductUpdated = declareMessage("ProductUpdated", PRODUCT_EVENTS_TOPIC, {
  productId: PRODUCT_ID,
  changes: { type: "record", value: { type: "any" } },
});
export type ProductUpdated = PayloadOf<typeof ProductUpdated>;

export const CategoryCreated = declareMessage("CategoryCreated", PRODUCT_EVENTS_TOPIC, { categoryId: PRODUCT_ID, name: "string" });
export type CategoryCreated = PayloadOf<typeof CategoryCreated>;
