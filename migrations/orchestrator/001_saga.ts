import type { Knex } from "knex";

/** Saga instances and their append-only log (see lib/saga/saga-store.ts). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("saga_instance", (t) => {
    t.uuid("id").primary();
    t.text("saga_type").notNullable();
    t.integer("definition_version").notNullable();
    t.text("state").notNullable().checkIn(["RUNNING", "COMPENSATING", "COMPLETED", "FAILED", "NEEDS_ATTENTION"], "saga_instance_state_check");
    t.integer("current_step").notNullable();
    t.jsonb("data").notNullable();
    // Optimistic concurrency: every save is UPDATE ... WHERE version = <the version read>.
    t.integer("version").notNullable();
    t.timestamp("deadline_at", { useTz: true }).nullable();
    t.integer("attempt").notNullable();
    t.text("failure_reason").nullable();
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  // The deadline sweeper's scan: only sagas that await a reply, earliest deadline first.
  await knex.raw(`
    CREATE INDEX saga_instance_overdue_idx ON saga_instance (deadline_at)
    WHERE state IN ('RUNNING', 'COMPENSATING')
  `);
  // Operators list sagas by state (above all NEEDS_ATTENTION), most recently changed first.
  await knex.raw("CREATE INDEX saga_instance_state_idx ON saga_instance (state, updated_at DESC)");

  await knex.schema.createTable("saga_log", (t) => {
    t.bigIncrements("id").primary();
    t.uuid("saga_id").notNullable().references("id").inTable("saga_instance");
    t.timestamp("at", { useTz: true }).notNullable();
    t.text("kind").notNullable();
    t.integer("step").notNullable();
    t.uuid("message_id").nullable();
    t.jsonb("detail").notNullable();
    // One saga's story, in order.
    t.index(["saga_id", "id"], "saga_log_saga_idx");
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("saga_log");
  await knex.schema.dropTable("saga_instance");
}
