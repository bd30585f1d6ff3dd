/** Request schemas of the catalog API (fastest-validator, as Moleculer action params). */
import { MAX_ORDER_ITEMS } from "../../contracts/purchase-saga";
import { multiLineText, oneLineText } from "../../lib/validation/text-rules";

const CANONICAL_ID = /^[1-9][0-9]*$/;

/**
 * Ids are safe integers: beyond 2^53 a JSON number is no longer the id the
 * client meant (and beyond bigint the database refuses it). From a path or a
 * query string an id is text, and only its decimal spelling names it: "16",
 * not "0x10", "1e1", "016" or " 16", which Number() would all read as an id.
 */
const id = {
  type: "custom",
  check(value: unknown, errors: { type: string; actual: unknown }[]) {
    const parsed = typeof value === "string" && CANONICAL_ID.test(value) ? Number(value) : value;
    if (typeof parsed === "number" && Number.isSafeInteger(parsed) && parsed >= 1) return parsed;
    errors.push({ type: "id", actual: value });
    return value;
  },
  messages: { id: "The '{field}' field must be a whole number from 1 to 2^53-1, written in decimal." },
} as const;
// A price of 0 could never be paid for: the saga would fail at the payment.
const price = { type: "number", integer: true, min: 1, max: 1_000_000_000_000 } as const;
const stock = { type: "number", integer: true, min: 0, max: 1_000_000_000 } as const;

export const MAX_PAGE_SIZE = 100;

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
  page: { type: "number", integer: true, min: 1, max: 100_000, convert: true, optional: true, default: 1 },
  page_size: { type: "number", integer: true, min: 1, max: MAX_PAGE_SIZE, convert: true, optional: true, default: 20 },
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
export interface ListProductsQuery {
  category_id?: number;
  page: number;
  page_size: number;
}
export interface CreateCategoryBody {
  name: string;
  description: string;
}

/**
 * The role that may write the catalog (CATALOG_WRITER_ROLE), or null when any
 * signed-in account may: `any`, or unset outside production, where the seed's
 * walkthrough has a new customer stock the shop. Production must choose: an
 * unset role there is an error, never an open catalog.
 */
export function catalogWriterRole(env: NodeJS.ProcessEnv = process.env): string | null {
  const role = env.CATALOG_WRITER_ROLE?.trim();
  if (role === "any") return null;
  if (role) return role;
  if (env.NODE_ENV === "production") {
    throw new Error("CATALOG_WRITER_ROLE must be set in production: the role that may change the catalog (say admin), or `any` for every signed-in account");
  }
  return null;
}
