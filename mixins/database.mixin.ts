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

export function DatabaseMixin(database: ServiceDatabase, pool = { min: 0, max: 10 }): Partial<ServiceSchema> {
  const policy = retentionPolicyFromEnv();
  const intervalMs = readBrokerSettings().pruneIntervalMs;
  const mixin = {
    created(this: MixinThis) {
      this.db = knex({ client: "pg", connection: databaseUrl(database), pool });
    },
    started(this: MixinThis) {
      this.pruneTimer = setInterval(() => {
        pruneExpired(this.db, policy)
          .then((pruned) => pruned.outbox + pruned.inbox > 0 && this.logger.info(`pruned ${pruned.outbox} outbox and ${pruned.inbox} inbox rows`))
          .catch((error: Error) => this.logger.warn(`pruning failed (retried next interval): ${error.message}`));
      }, intervalMs);
      this.pruneTimer.unref();
    },
    async stopped(this: MixinThis) {
      clearInterval(this.pruneTimer);
      await this.db.destroy();
    },
  };
  // Moleculer's schema types do not know the `db` this mixin adds.
  return mixin as unknown as Partial<ServiceSchema>;
}
