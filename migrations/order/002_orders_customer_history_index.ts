/**
 * A customer's orders, newest first (`order.list`): a page reads about its
 * own rows however long the history, by the first index for all of them or a
 * time window, by the second for one status (filtering row by row reads the
 * whole history to find a rare status). The price: an order's approval, a
 * status change, is no longer a HOT update. The page's items come by
 * order_items' primary key.
 *
 * Built CONCURRENTLY, outside a transaction, so a large table keeps taking
 * orders while they build.
 */
import type { Knex } from "knex";

export const config = { transaction: false };

export async function up(knex: Knex): Promise<void> {
  await knex.raw("CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_created_idx ON orders (customer_id, created_at DESC, id DESC)");
  await knex.raw("CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_status_idx ON orders (customer_id, status, created_at DESC, id DESC)");
}

export async function down(knex: Knex): Promise<void> {
  for (const index of ["orders_customer_created_idx", "orders_customer_status_idx"]) {
    await knex.raw(`DROP INDEX CONCURRENTLY IF EXISTS ${index}`);
  }
}
