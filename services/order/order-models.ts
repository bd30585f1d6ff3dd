/**
 * The order service's tables as objection models. Properties are the columns
 * as they are named (snake_case); bigint columns arrive from pg as strings.
 */
import { Model, type RelationMappings } from "objection";
import type { OrderStatus } from "./order-decisions";

export class Order extends Model {
  static override tableName = "orders";

  declare id: string;
  declare purchase_id: string;
  /** Null only on a tombstone: a purchase cancelled before its order was created. */
  declare customer_id: string | null;
  declare status: OrderStatus;
  declare amount: string | null;
  declare currency: string | null;
  declare created_at: Date;
  declare updated_at: Date;
  declare items?: OrderItem[];

  static override relationMappings = (): RelationMappings => ({
    items: {
      relation: Model.HasManyRelation,
      modelClass: OrderItem,
      join: { from: "orders.id", to: "order_items.order_id" },
    },
  });
}

export class OrderItem extends Model {
  static override tableName = "order_items";
  static override idColumn = ["order_id", "product_id"];

  declare order_id: string;
  declare product_id: string;
  declare quantity: number;
  declare unit_price: string;
}
