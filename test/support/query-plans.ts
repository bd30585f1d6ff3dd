/**
 * The plans of the statements a piece of code sends: what shows whether a
 * query is served by the index meant for it. Used by the saga store's tests
 * and by `bench:growth`.
 */
import type { Knex } from "knex";

export interface QueryPlan {
  statement: string;
  plan: string;
}

export interface PlanOptions {
  /** The EXPLAIN to run each statement under: plain by default, `explain (analyze, costs off)` to time it. */
  explain?: string;
  /** Runs first in the transaction: `set local enable_seqscan = off`, or dropping the indexes a plan must not use. */
  prepare?: (trx: Knex.Transaction) => Promise<void>;
}

/**
 * Runs `work` in a transaction on `db`, captures every statement it sends
 * (knex's query events, transaction control left out), explains each in the
 * same transaction, and rolls it all back: nothing the work or `prepare`
 * did remains.
 */
export async function plansOf(db: Knex, work: (trx: Knex.Transaction) => Promise<unknown>, options: PlanOptions = {}): Promise<QueryPlan[]> {
  const plans: QueryPlan[] = [];
  await db
    .transaction(async (trx) => {
      await options.prepare?.(trx);
      const sent: { sql: string; bindings: readonly unknown[] }[] = [];
      const capture = (query: { sql: string; bindings?: readonly unknown[] }) => {
        if (!/^(begin|commit|rollback|savepoint|release)/i.test(query.sql)) sent.push({ sql: query.sql, bindings: query.bindings ?? [] });
      };
      db.on("query", capture);
      try {
        await work(trx);
      } finally {
        db.off("query", capture);
      }
      for (const { sql, bindings } of sent) {
        // knex reports the statement as sent to pg ($1, $2, …); its raw() takes ? placeholders.
        const { rows } = await trx.raw(`${options.explain ?? "explain"} ${sql.replace(/\$\d+/g, "?")}`, bindings as Knex.RawBinding[]);
        plans.push({ statement: sql, plan: rows.map((row: Record<string, string>) => row["QUERY PLAN"]).join("\n") });
      }
      throw new RolledBack();
    })
    .catch((error: unknown) => {
      if (!(error instanceof RolledBack)) throw error;
    });
  return plans;
}

class RolledBack extends Error {}
