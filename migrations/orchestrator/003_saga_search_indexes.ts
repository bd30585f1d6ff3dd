/**
 * The operators' searches at a year of sagas (`npm run bench:growth`): each
 * one reads an index in the order it answers, so a list of 50 reads about 50
 * entries whatever the table holds, and the dashboard's counts read only the
 * stretch of the status index they count.
 *
 * Built CONCURRENTLY, outside a transaction, so a large saga table keeps
 * taking writes while they build.
 */
import type { Knex } from "knex";

export const config = { transaction: false };

export async function up(knex: Knex): Promise<void> {
  // Every saga of a type, newest change first; also a time window over them.
  await knex.raw("CREATE INDEX CONCURRENTLY IF NOT EXISTS saga_instance_recent_idx ON saga_instance (saga_type, updated_at DESC)");
  // By status, led by the saga type: a count by status can be answered from the index alone.
  await knex.raw("CREATE INDEX CONCURRENTLY IF NOT EXISTS saga_instance_status_idx ON saga_instance (saga_type, state, updated_at DESC)");
  await knex.raw("DROP INDEX CONCURRENTLY IF EXISTS saga_instance_state_idx");
  // One customer's sagas (SagaStore.list's dataEquals writes the same expression).
  await knex.raw("CREATE INDEX CONCURRENTLY IF NOT EXISTS saga_instance_customer_idx ON saga_instance (saga_type, (data->>'customerId'), updated_at DESC)");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("CREATE INDEX CONCURRENTLY IF NOT EXISTS saga_instance_state_idx ON saga_instance (state, updated_at DESC)");
  for (const index of ["saga_instance_recent_idx", "saga_instance_status_idx", "saga_instance_customer_idx"]) {
    await knex.raw(`DROP INDEX CONCURRENTLY IF EXISTS ${index}`);
  }
}
