import type { Knex } from "knex";

/**
 * When the pending watchdog (services/purchase/pending-watchdog.ts) last
 * re-published a purchase's PurchaseCreated: at most once per bound. The
 * partial index finds the PENDING purchases without reading the others.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("purchases", (t) => {
    t.timestamp("republished_at", { useTz: true }).nullable();
    t.index(["created_at"], "purchases_pending_created_idx", { predicate: knex.whereRaw("status = 'PENDING'") });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("purchases", (t) => {
    t.dropIndex(["created_at"], "purchases_pending_created_idx");
    t.dropColumn("republished_at");
  });
}
