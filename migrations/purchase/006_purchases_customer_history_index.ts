/**
 * A customer's purchases, newest first (`purchase.list`): a page reads about
 * its own rows however long the history, by the first index for all of them
 * or a time window, by the second for one status (filtering row by row read
 * all 50,000 purchases of a customer to find no FAILED one: 47 ms, and as
 * much again for the count). Status changes already touch the pending index,
 * so the second costs no HOT update. The first leads with customer_id: the
 * index on customer_id alone goes.
 *
 * Built CONCURRENTLY, outside a transaction, so a large table keeps taking
 * purchases while they build.
 */
import type { Knex } from "knex";

export const config = { transaction: false };

export async function up(knex: Knex): Promise<void> {
  await knex.raw("CREATE INDEX CONCURRENTLY IF NOT EXISTS purchases_customer_created_idx ON purchases (customer_id, created_at DESC, id DESC)");
  await knex.raw("CREATE INDEX CONCURRENTLY IF NOT EXISTS purchases_customer_status_idx ON purchases (customer_id, status, created_at DESC, id DESC)");
  await knex.raw("DROP INDEX CONCURRENTLY IF EXISTS purchases_customer_idx");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("CREATE INDEX CONCURRENTLY IF NOT EXISTS purchases_customer_idx ON purchases (customer_id)");
  for (const index of ["purchases_customer_created_idx", "purchases_customer_status_idx"]) {
    await knex.raw(`DROP INDEX CONCURRENTLY IF EXISTS ${index}`);
  }
}
