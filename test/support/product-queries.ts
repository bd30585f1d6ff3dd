/** How many times Postgres ran the product service's read-by-id query (pg_stat_statements, preloaded by the stack). */
import knex from "knex";
import { databaseUrl } from "../../lib/environment";

export const productDb = knex({ client: "pg", connection: databaseUrl("product"), pool: { min: 0, max: 2 } });

export async function productByIdQueries(): Promise<number> {
  const { rows } = await productDb.raw(
    `select coalesce(sum(s.calls), 0)::int as calls
       from pg_stat_statements s join pg_database d on d.oid = s.dbid
      where d.datname = 'product' and s.query like 'select %from "products" where "products"."id" = $1'`,
  );
  return rows[0].calls;
}
