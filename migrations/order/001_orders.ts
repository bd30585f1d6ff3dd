/**
 * Orders and their items. One row per purchase (`purchase_id` unique): a
 * purchase cancelled before its order arrived keeps a CANCELLED tombstone
 * without customer, amount or currency, so the late CreateOrder is refused.
 */
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("orders", (t) => {
    t.uuid("id").primary();
    t.uuid("purchase_id").notNullable().unique();
    t.uuid("customer_id");
    t.text("status").notNullable().checkIn(["CREATED", "APPROVED", "CANCELLED"], "orders_status_check");
    t.bigInteger("amount");
    t.text("currency");
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.check("amount >= 0", [], "orders_amount_not_negative_check");
    t.check(
      "status = 'CANCELLED' or (customer_id is not null and amount is not null and currency is not null)",
      [],
      "orders_only_tombstones_lack_details_check",
    );
  });
  await knex.schema.createTable("order_items", (t) => {
    t.uuid("order_id").notNullable().references("id").inTable("orders").onDelete("CASCADE");
    t.bigInteger("product_id").notNullable();
    t.integer("quantity").notNullable().checkPositive("order_items_quantity_positive_check");
    t.bigInteger("unit_price").notNullable();
    t.primary(["order_id", "product_id"]);
    t.check("unit_price >= 0", [], "order_items_unit_price_not_negative_check");
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("order_items");
  await knex.schema.dropTable("orders");
}
