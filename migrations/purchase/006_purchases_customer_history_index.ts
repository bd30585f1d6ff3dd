/**
 * A customer's purchases, newest first (`purchase.list`, GET /api/v1/purchases):
 * read in the index's order, a page reads about its own rows however many the
 * customer has, with or without a time window; a status filter is checked on
 * the rows as they come. It leads with customer_id, so the index on
 * customer_id alone goes.
 *
 * Built CONCURRENTLY, outside a transaction, so a large table keeps taking
 * purchases while it builds.
 */
import type { Knex } from "knex";

export const config = { transaction: false };

export async function up(knex: Knex): Promise<void> {
  await knex.raw("CREATE INDEX CONCURRENTLY IF NOT EXISTS purchases_customer_created_idx ON purchases (customer_id, created_at DESC, id DESC)");
  await knex.raw("DROP INDEX CONCURRENTLY IF EXISTS purchases_customer_idx");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("CREATE INDEX CONCURRENTLY IF NOT EXISTS purchases_customer_idx ON purchases (customer_id)");
  await knex.raw("DROP INDEX CONCURRENTLY IF EXISTS purchases_customer_created_idx");
}
