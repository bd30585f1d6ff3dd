import type { Knex } from "knex";

/**
 * The saga version of the last progress note applied to a purchase. Notes
 * come as Moleculer events, which may arrive out of order: one no newer than
 * this is dropped, so a late note never shows an earlier step.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("purchases", (t) => {
    t.integer("progress_version").notNullable().defaultTo(0);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("purchases", (t) => {
    t.dropColumn("progress_version");
  });
}
