/**
 * How products and categories look on the API: numbers for ids and money, as
 * created plus id and times. Each view is declared once as a schema: its type
 * is read off it, and the API document shows it.
 */
import { type Infer } from "../../lib/messages/message-declaration";
import type { Category, Product } from "./product-models";

const id = { type: "number", integer: true, min: 1 } as const;

export const productViewSchema = {
  id,
  category_id: id,
  name: "string",
  description: "string",
  brand_name: "string",
  /** Integer minor units of the store's currency. */
  price: { type: "number", integer: true, min: 1 },
  inventory: { type: "number", integer: true, min: 0 },
  created_at: { type: "date" },
  updated_at: { type: "date" },
} as const;
export type ProductView = Infer<typeof productViewSchema>;

export const categoryViewSchema = { id, name: "string", description: "string", created_at: { type: "date" } } as const;
export type CategoryView = Infer<typeof categoryViewSchema>;

export function productView(product: Product): ProductView {
  return {
    id: Number(product.id),
    category_id: Number(product.category_id),
    name: product.name,
    description: product.description,
    brand_name: product.brand_name,
    price: Number(product.price),
    inventory: product.inventory,
    created_at: product.created_at.toISOString(),
    updated_at: product.updated_at.toISOString(),
  };
}

export function categoryView(category: Category): CategoryView {
  return { id: Number(category.id), name: category.name, description: category.description, created_at: category.created_at.toISOString() };
}
