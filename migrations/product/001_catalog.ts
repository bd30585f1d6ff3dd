/**
 * The catalog and the inventory reservations of the purchase saga. Stock can
 * never go below zero (a constraint, not just a check in code), and a
 * purchase's reservation is one row whose status moves forward only.
 */
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // Lets tests and operators count the queries this database serves.
  await knex.raw("create extension if not exists pg_stat_statements");

  await knex.schema.createTable("categories", (t) => {
    t.bigIncrements("id").primary();
    t.text("name").notNullable().unique();
    t.text("description").notNullable().defaultTo("");
    t.timestamps(true, true);
  });

  await knex.schema.createTable("products", (t) => {
    t.bigIncrements("id").primary();
    t.bigInteger("category_id").notNullable().references("categories.id").index();
    t.text("name").notNullable();
    t.text("description").notNullable().defaultTo("");
    t.text("brand_name").notNullable().defaultTo("");
    t.bigInteger("price").notNullable();
    t.integer("inventory").notNullable();
    t.timestamps(true, true);
    t.check("price >= 0", [], "products_price_not_negative");
    t.check("inventory >= 0", [], "products_inventory_not_negative");
  });

  await knex.schema.createTable("reservations", (t) => {
    t.uuid("purchase_id").primary();
    t.text("status").notNullable();
    t.text("reason");
    t.timestamps(true, true);
    t.check("status in ('RESERVED', 'REJECTED', 'RELEASED')", [], "reservations_status");
  });

  await knex.schema.createTable("reservation_items", (t) => {
    t.uuid("purchase_id").notNullable().references("reservations.purchase_id");
    t.bigInteger("product_id").notNullable().references("products.id");
    t.integer("quantity").notNullable();
    t.primary(["purchase_id", "product_id"]);
    t.check("quantity > 0", [], "reservation_items_quantity_positive");
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("reservation_items");
  await knex.schema.dropTable("reservations");
  await knex.schema.dropTable("products");
  await knex.schema.dropTable("categories");
}
