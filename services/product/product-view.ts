/** How products and categories look on the API: numbers for ids and money, as created plus id and times. */
import type { CreateProductBody } from "./catalog-validation";
import type { Category, Product } from "./product-models";

export interface ProductView extends CreateProductBody {
  id: number;
  created_at: string;
  updated_at: string;
}

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

export function categoryView(category: Category) {
  return { id: Number(category.id), name: category.name, description: category.description, created_at: category.created_at.toISOString() };
}
