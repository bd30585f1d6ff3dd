/** Request schemas of the catalog API (fastest-validator, as Moleculer action params). */
import { MAX_ORDER_ITEMS } from "../../contracts/purchase-saga";

// Ids are safe integers: beyond 2^53 a JSON number is no longer the id the client meant (and beyond bigint the database refuses it).
const id = { type: "number", integer: true, positive: true, max: Number.MAX_SAFE_INTEGER, convert: true } as const;
const money = { type: "number", integer: true, min: 0, max: 1_000_000_000_000 } as const;
const stock = { type: "number", integer: true, min: 0, max: 1_000_000_000 } as const;
const text = (max: number, min = 0) => ({ type: "string", trim: true, min, max }) as const;

export const MAX_PAGE_SIZE = 100;

export const productIdSchema = { $$strict: "remove", id } as const;

/** `product.prices`: the products of one purchase. */
export const productPricesSchema = { $$strict: "remove", ids: { type: "array", min: 1, max: MAX_ORDER_ITEMS, items: id } } as const;

export const createProductSchema = {
  $$strict: "remove",
  category_id: id,
  name: text(200, 1),
  description: { ...text(5000), optional: true, default: "" },
  brand_name: { ...text(200), optional: true, default: "" },
  price: money,
  inventory: stock,
} as const;

export const updateProductSchema = {
  $$strict: "remove",
  id,
  category_id: { ...id, optional: true },
  name: { ...text(200, 1), optional: true },
  description: { ...text(5000), optional: true },
  brand_name: { ...text(200), optional: true },
  price: { ...money, optional: true },
  inventory: { ...stock, optional: true },
} as const;

export const listProductsSchema = {
  $$strict: "remove",
  category_id: { ...id, optional: true },
  page: { type: "number", integer: true, min: 1, max: 100_000, convert: true, optional: true, default: 1 },
  page_size: { type: "number", integer: true, min: 1, max: MAX_PAGE_SIZE, convert: true, optional: true, default: 20 },
} as const;

export const createCategorySchema = {
  $$strict: "remove",
  name: text(100, 1),
  description: { ...text(1000), optional: true, default: "" },
} as const;

export interface CreateProductBody {
  category_id: number;
  name: string;
  description: string;
  brand_name: string;
  price: number;
  inventory: number;
}
export type UpdateProductBody = Partial<CreateProductBody> & { id: number };
export interface ListProductsQuery {
  category_id?: number;
  page: number;
  page_size: number;
}
export interface CreateCategoryBody {
  name: string;
  description: string;
}
