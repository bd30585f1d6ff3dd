/**
 * A customer's orders, newest first (`order.list`, GET /api/v1/orders): read
 * in the index's order, a page reads about its own rows however many the
 * customer has, with or without a time window; a status filter is checked on
 * the rows as they come. The page's items come by order_items' primary key.
 *
 * Built CONCURRENTLY, outside a transaction, so a large table keeps taking
 * orders while it builds.
 */
import type { Knex } from "knex";

export const config = { transaction: false };

export async function up(knex: Knex): Promise<void> {
  await knex.raw("CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_created_idx ON orders (customer_id, created_at DESC, id DESC)");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("DROP INDEX CONCURRENTLY IF EXISTS orders_customer_created_idx");
}
