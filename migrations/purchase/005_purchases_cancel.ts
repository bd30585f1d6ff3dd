import type { Knex } from "knex";

/**
 * A customer's cancel: when it was asked for (a second ask changes nothing),
 * and whether the saga has taken the payment, its pivot, past which a cancel
 * is refused at the door (progress notes tell it).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("purchases", (t) => {
    t.timestamp("cancel_requested_at", { useTz: true });
    t.boolean("payment_taken").notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("purchases", (t) => {
    t.dropColumn("cancel_requested_at");
    t.dropColumn("payment_taken");
  });
}
