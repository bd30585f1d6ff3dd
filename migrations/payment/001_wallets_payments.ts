/**
 * Wallets and payments. A balance can never go below zero; one payment per
 * purchase (`purchase_id` unique). A purchase refunded before its payment was
 * processed keeps a DECLINED tombstone without customer, amount or currency,
 * so the late ProcessPayment is declined instead of charging.
 */
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("wallets", (t) => {
    t.uuid("customer_id").primary();
    t.bigInteger("balance").notNullable();
    t.text("currency").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.check("balance >= 0", [], "wallets_balance_not_negative_check");
  });
  await knex.schema.createTable("payments", (t) => {
    t.uuid("id").primary();
    t.uuid("purchase_id").notNullable().unique();
    t.uuid("customer_id");
    t.bigInteger("amount");
    t.text("currency");
    t.text("status").notNullable().checkIn(["COMPLETED", "DECLINED", "REFUNDED"], "payments_status_check");
    t.text("reason");
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.check("amount > 0", [], "payments_amount_positive_check");
    t.check(
      "status = 'DECLINED' or (customer_id is not null and amount is not null and currency is not null)",
      [],
      "payments_only_tombstones_lack_details_check",
    );
    t.check("status <> 'DECLINED' or reason is not null", [], "payments_declined_has_reason_check");
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("payments");
  await knex.schema.dropTable("wallets");
}
