/**
 * Customers, their credentials, and refresh tokens. Refresh tokens are kept
 * only as hashes, grouped in families (one per login) so that reuse of a
 * rotated token can revoke every token descended from the same login.
 */
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("customers", (t) => {
    t.uuid("id").primary();
    t.text("email").notNullable();
    t.text("first_name").notNullable();
    t.text("last_name").notNullable();
    t.text("address").notNullable();
    t.text("phone_number").notNullable();
    t.text("role").notNullable().defaultTo("customer");
    t.timestamps(true, true);
    t.check("role in ('customer', 'admin')");
  });
  // Case-insensitive uniqueness, whatever the caller normalised.
  await knex.raw("create unique index customers_email_unique on customers (lower(email))");

  await knex.schema.createTable("credentials", (t) => {
    t.uuid("customer_id").primary().references("customers.id").onDelete("CASCADE");
    t.text("password_hash").notNullable();
    t.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable("refresh_tokens", (t) => {
    t.uuid("id").primary();
    t.uuid("family_id").notNullable().index();
    t.uuid("customer_id").notNullable().references("customers.id").onDelete("CASCADE");
    t.text("token_hash").notNullable().unique();
    t.timestamp("expires_at", { useTz: true }).notNullable();
    t.timestamp("used_at", { useTz: true });
    t.timestamp("revoked_at", { useTz: true });
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("refresh_tokens");
  await knex.schema.dropTable("credentials");
  await knex.schema.dropTable("customers");
}
