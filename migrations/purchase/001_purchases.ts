import type { Knex } from "knex";

/** Purchases as the customer asked for them, with the status the saga has reached (see services/purchase). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("purchases", (t) => {
    t.uuid("id").primary();
    t.uuid("customer_id").notNullable();
    t.text("status").notNullable().checkIn(["PENDING", "RUNNING", "COMPENSATING", "NEEDS_ATTENTION", "COMPLETED", "FAILED"], "purchases_status_check");
    // The saga step in progress; null before the saga starts and once it has ended.
    t.text("step").nullable();
    t.text("failure_reason").nullable();
    // [{ product_id, quantity, unit_price }], priced when the purchase was made.
    t.jsonb("items").notNullable();
    // Integer minor units of `currency`.
    t.bigInteger("amount").notNullable();
    t.check("?? >= 0", ["amount"], "purchases_amount_check");
    t.text("currency").notNullable();
    t.uuid("order_id").nullable();
    t.uuid("payment_id").nullable();
    // Bumped by every change, so a client stream can drop what it has already seen.
    t.integer("version").notNullable().defaultTo(1);
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(["customer_id"], "purchases_customer_idx");
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("purchases");
}
