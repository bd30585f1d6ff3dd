/**
 * Parallel steps (lib/saga/definition.ts): while a group of steps is in
 * flight, which of them have answered, and how. Empty for a step on its own,
 * so the sagas already stored need nothing else.
 */
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("saga_instance", (t) => {
    t.jsonb("group_answers").notNullable().defaultTo("[]");
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("saga_instance", (t) => {
    t.dropColumn("group_answers");
  });
}
