/**
 * A customer's payments, newest first (`payment.list`, and the wallet's
 * debits): a page reads about its own rows however long the history, by the
 * first index for all of them or a time window, by the second for one status
 * (filtering row by row read all 50,000 payments of a customer to find no
 * DECLINED one: 65 ms, and as much again for the count). The wallet's refunds
 * come by when they were refunded, from an index of refunded payments only.
 * Only a refund, rare, changes a payment's status and pays for indexing it.
 *
 * Built CONCURRENTLY, outside a transaction, so a large table keeps taking
 * payments while they build.
 */
import type { Knex } from "knex";

export const config = { transaction: false };

const INDEXES = {
  payments_customer_created_idx: "(customer_id, created_at DESC, id DESC)",
  payments_customer_status_idx: "(customer_id, status, created_at DESC, id DESC)",
  payments_customer_refunded_idx: "(customer_id, updated_at DESC, id DESC) WHERE status = 'REFUNDED'",
};

export async function up(knex: Knex): Promise<void> {
  for (const [index, definition] of Object.entries(INDEXES)) {
    await knex.raw(`CREATE INDEX CONCURRENTLY IF NOT EXISTS ${index} ON payments ${definition}`);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const index of Object.keys(INDEXES)) {
    await knex.raw(`DROP INDEX CONCURRENTLY IF EXISTS ${index}`);
  }
}
