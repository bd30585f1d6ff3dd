/**
 * Each outbox row notes where the WAL was when it was written, so "rows not
 * yet published" is a query: those past the point the Debezium slot has
 * confirmed. A plain bigint (the LSN's byte offset) rather than pg_lsn, so the
 * column means nothing special to Debezium's snapshots. Rows written before
 * this migration have none and count as published.
 */
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.raw("alter table outbox add column wal_position bigint");
  await knex.raw("alter table outbox alter column wal_position set default pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("alter table outbox drop column wal_position");
}
