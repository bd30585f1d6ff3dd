/** Gives a service `this.db`: a knex pool on the service's own database. */
import knex, { type Knex } from "knex";
import type { ServiceSchema } from "moleculer";
import { type ServiceDatabase, databaseUrl } from "../lib/environment";

export interface DatabaseThis {
  db: Knex;
}

export function DatabaseMixin(database: ServiceDatabase, pool = { min: 0, max: 10 }): Partial<ServiceSchema> {
  const mixin = {
    created(this: DatabaseThis) {
      this.db = knex({ client: "pg", connection: databaseUrl(database), pool });
    },
    async stopped(this: DatabaseThis) {
      await this.db.destroy();
    },
  };
  // Moleculer's schema types do not know the `db` this mixin adds.
  return mixin as unknown as Partial<ServiceSchema>;
}
