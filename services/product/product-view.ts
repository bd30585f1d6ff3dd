/** How products and categories look on the API: numbers for ids and money, as created plus id and times. */
import type { CreateProductBody } from "./catalog-validation";

export interface ProductView extends CreateProductBody {
  id: number;
  created_at: string;
  updated_at: string;
}

/** A products row as pg hands it over: its bigint columns as strings. */
export interface ProductRow extends Omit<ProductView, "id" | "category_id" | "price"> {
  id: string;
  category_id: string;
  price: string;
}

export interface CategoryRow {
  id: string;
  name: string;
  description: string;
  created_at: string;
}

export function productView(row: ProductRow): ProductView {
  return { ...row, id: Number(row.id), category_id: Number(row.category_id), price: Number(row.price) };
}

export function categoryView(row: CategoryRow) {
  return { id: Number(row.id), name: row.name, description: row.description, created_at: row.created_at };
}
