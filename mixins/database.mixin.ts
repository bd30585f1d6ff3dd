/**
 * Gives a service `this.db`: a knex pool on the service's own database, and
 * prunes that database's outbox and inbox past their retention (hourly by
 * default; several instances pruning at once is harmless).
 */
import knex, { type Knex } from "knex";
import type { Service, ServiceSchema } from "moleculer";
import { type ServiceDatabase, databaseUrl } from "../lib/environment";
import { pruneExpired, retentionPolicyFromEnv } from "../lib/outbox/retention";
import { readBrokerSettings } from "../lib/settings/broker-settings";

export interface DatabaseThis {
  db: Knex;
}

interface MixinThis extends Service, DatabaseThis {
  pruneTimer?: NodeJS.Timeout;
}

/** Whether created() has given this service its pool (it has, in started() and stopped()). */
function hasDatabase(service: Service): service is MixinThis {
  return "db" in service;
}

export function DatabaseMixin(database: ServiceDatabase, pool = { min: 0, max: 10 }): Partial<ServiceSchema> {
  const policy = retentionPolicyFromEnv();
  const intervalMs = readBrokerSettings().pruneIntervalMs;
  // Handlers take `this` as the plain Service Moleculer's mixin type asks for, and find the pool through hasDatabase.
  return {
    created(this: Service) {
      Object.assign(this, { db: knex({ client: "pg", connection: databaseUrl(database), pool }) });
    },
    started(this: Service) {
      if (!hasDatabase(this)) return;
      const service = this;
      service.pruneTimer = setInterval(() => {
        pruneExpired(service.db, policy)
          .then((pruned) => pruned.outbox + pruned.inbox > 0 && service.logger.info(`pruned ${pruned.outbox} outbox and ${pruned.inbox} inbox rows`))
          .catch((error: Error) => service.logger.warn(`pruning failed (retried next interval): ${error.message}`));
      }, intervalMs);
      service.pruneTimer.unref();
    },
    async stopped(this: Service) {
      if (!hasDatabase(this)) return;
      clearInterval(this.pruneTimer);
      await this.db.destroy();
    },
  };
}
