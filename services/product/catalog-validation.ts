/** Request schemas of the catalog API (fastest-validator, as Moleculer action params). */
import { MAX_ORDER_ITEMS } from "../../contracts/purchase-saga";
import { OPERATOR_ROLE } from "../../lib/auth/authenticated-user";
import { decimalInteger } from "../../lib/validation/decimal-integer";
import { pagingSchema, type Paging } from "../../lib/validation/paging";
import { multiLineText, oneLineText } from "../../lib/validation/text-rules";

// Ids are safe integers: beyond 2^53 a JSON number is no longer the id the client meant (and beyond bigint the database refuses it).
const id = decimalInteger(1, Number.MAX_SAFE_INTEGER);
// A price of 0 could never be paid for: the saga would fail at the payment.
const price = { type: "number", integer: true, min: 1, max: 1_000_000_000_000 } as const;
const stock = { type: "number", integer: true, min: 0, max: 1_000_000_000 } as const;

export const productIdSchema = { $$strict: "remove", id } as const;

/** `product.prices`: the products of one purchase. */
export const productPricesSchema = { $$strict: "remove", ids: { type: "array", min: 1, max: MAX_ORDER_ITEMS, items: id } } as const;

export const createProductSchema = {
  $$strict: "remove",
  category_id: id,
  name: oneLineText(200, 1),
  description: { ...multiLineText(5000), optional: true, default: "" },
  brand_name: { ...oneLineText(200), optional: true, default: "" },
  price,
  inventory: stock,
} as const;

export const updateProductSchema = {
  $$strict: "remove",
  id,
  category_id: { ...id, optional: true },
  name: { ...oneLineText(200, 1), optional: true },
  description: { ...multiLineText(5000), optional: true },
  brand_name: { ...oneLineText(200), optional: true },
  price: { ...price, optional: true },
  inventory: { ...stock, optional: true },
} as const;

export const listProductsSchema = {
  $$strict: "remove",
  category_id: { ...id, optional: true },
  ...pagingSchema,
} as const;

export const createCategorySchema = {
  $$strict: "remove",
  name: oneLineText(100, 1),
  description: { ...multiLineText(1000), optional: true, default: "" },
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
export interface ListProductsQuery extends Paging {
  category_id?: number;
}
export interface CreateCategoryBody {
  name: string;
  description: string;
}

/**
 * The role that may write the catalog, or null when any signed-in account
 * may. CATALOG_WRITER_ROLE names it (`any`: every signed-in account); unset,
 * it is the operator role in production, and open on a development install,
 * where the seed's walkthrough has a new customer stock the shop.
 */
export function catalogWriterRole(env: NodeJS.ProcessEnv = process.env): string | null {
  const role = env.CATALOG_WRITER_ROLE?.trim();
  if (role === "any") return null;
  if (role) return role;
  return env.NODE_ENV === "production" ? OPERATOR_ROLE : null;
}
