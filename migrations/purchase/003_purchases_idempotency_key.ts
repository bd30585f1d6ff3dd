import type { Knex } from "knex";

/**
 * A client's Idempotency-Key for a purchase, and the fingerprint of what it
 * asked for under that key: the same key again answers the purchase already
 * made instead of buying twice (a retry after a timeout), and a different
 * request under it is refused. Unique per customer; purchases made without a
 * key leave both null (nulls never conflict).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("purchases", (t) => {
    t.text("idempotency_key").nullable();
    t.text("request_fingerprint").nullable();
    t.unique(["customer_id", "idempotency_key"], { indexName: "purchases_customer_idempotency_key_unique" });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("purchases", (t) => {
    t.dropUnique(["customer_id", "idempotency_key"], "purchases_customer_idempotency_key_unique");
    t.dropColumn("request_fingerprint");
    t.dropColumn("idempotency_key");
  });
}
