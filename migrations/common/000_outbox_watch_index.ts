/**
 * The outbox watch (lib/outbox/outbox-flow.ts) reads the rows past the slot's
 * confirmed position every few seconds: an index on the WAL position makes
 * that the index's tail, not a scan of every row kept for replay. Positions
 * only grow, so each insert adds to the index's right-most page.
 */
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.raw("create index outbox_wal_position on outbox (wal_position)");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop index outbox_wal_position");
}
