/**
 * A customer's payments, newest first (`payment.list`, GET /api/v1/payments,
 * and the debits of GET /api/v1/account/wallet): read in the index's order, a
 * page reads about its own rows however many the customer has, with or
 * without a time window; a status filter is checked on the rows as they come.
 * The wallet's refunds come by when they were refunded, from an index of
 * refunded payments only: refunds are few, and only a refund changes a
 * payment's status, so only that rare update pays for indexing it.
 *
 * Built CONCURRENTLY, outside a transaction, so a large table keeps taking
 * payments while they build.
 */
import type { Knex } from "knex";

export const config = { transaction: false };

export async function up(knex: Knex): Promise<void> {
  await knex.raw("CREATE INDEX CONCURRENTLY IF NOT EXISTS payments_customer_created_idx ON payments (customer_id, created_at DESC, id DESC)");
  await knex.raw(
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS payments_customer_refunded_idx ON payments (customer_id, updated_at DESC, id DESC) WHERE status = 'REFUNDED'",
  );
}

export async function down(knex: Knex): Promise<void> {
  for (const index of ["payments_customer_created_idx", "payments_customer_refunded_idx"]) {
    await knex.raw(`DROP INDEX CONCURRENTLY IF EXISTS ${index}`);
  }
}
