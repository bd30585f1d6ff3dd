/**
 * Gives a service `this.db`: a knex pool on the service's own database,
 * opened when the service is created and closed when it stops.
 */
import knex, { type Knex } from "knex";
import type { Service, ServiceSchema } from "moleculer";
import { type ServiceDatabase, databaseUrl } from "../lib/environment";

export interface DatabaseThis {
  db: Knex;
}

/** Whether created() has given this service its pool (it has, in started() and stopped()). */
export function hasDatabase(service: Service): service is Service & DatabaseThis {
  return "db" in service;
}

export function DatabaseMixin(database: ServiceDatabase, pool = { min: 0, max: 10 }): Partial<ServiceSchema> {
  // Handlers take `this` as the plain Service Moleculer's mixin type asks for, and find the pool through hasDatabase.
  return {
    created(this: Service) {
      Object.assign(this, { db: knex({ client: "pg", connection: databaseUrl(database), pool }) });
    },
    async stopped(this: Service) {
      if (hasDatabase(this)) await this.db.destroy();
    },
  };
}
