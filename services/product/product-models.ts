/**
 * The product service's tables as objection models: the catalog and the
 * reservations that hold its stock for purchases. Properties are the columns
 * as they are named; bigint columns (ids, money) arrive from pg as strings.
 */
import { Model, type RelationMappings } from "objection";
import type { ReservationStatus } from "./product-decisions";

export class Category extends Model {
  static override tableName = "categories";

  declare id: string;
  declare name: string;
  declare description: string;
  declare created_at: Date;
  declare updated_at: Date;
}

export class Product extends Model {
  static override tableName = "products";

  declare id: string;
  declare category_id: string;
  declare name: string;
  declare description: string;
  declare brand_name: string;
  declare price: string;
  /** Units left; a check constraint keeps it at zero or more. */
  declare inventory: number;
  declare created_at: Date;
  declare updated_at: Date;
  declare category?: Category;

  static override relationMappings = (): RelationMappings => ({
    category: {
      relation: Model.BelongsToOneRelation,
      modelClass: Category,
      join: { from: "products.category_id", to: "categories.id" },
    },
  });
}

/** One per purchase that asked for stock; its status only moves forward. */
export class Reservation extends Model {
  static override tableName = "reservations";
  static override idColumn = "purchase_id";

  declare purchase_id: string;
  declare status: ReservationStatus;
  declare reason: string | null;
  declare created_at: Date;
  declare updated_at: Date;
  declare items?: ReservedItem[];

  static override relationMappings = (): RelationMappings => ({
    items: {
      relation: Model.HasManyRelation,
      modelClass: ReservedItem,
      join: { from: "reservations.purchase_id", to: "reservation_items.purchase_id" },
    },
  });
}

/** The units of one product a reservation holds. */
export class ReservedItem extends Model {
  static override tableName = "reservation_items";
  static override idColumn = ["purchase_id", "product_id"];

  declare purchase_id: string;
  declare product_id: string;
  declare quantity: number;
}
