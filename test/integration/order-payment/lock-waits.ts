import type { Knex } from "knex";

/** True once some transaction on this database is blocked on a lock: the moment to let the transaction it waits for commit. */
export async function someoneWaitsOnALock(db: Knex): Promise<boolean> {
  const { rows } = await db.raw("select count(*)::int as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'");
  return rows[0].waiting > 0;
}
