/**
 * Prunes the service database's outbox and inbox past their retention
 * (OUTBOX_RETENTION_*, INBOX_RETENTION_*; hourly by default). Several
 * instances pruning at once is harmless. Comes after DatabaseMixin, whose
 * pool it uses.
 */
import type { Service, ServiceSchema } from "moleculer";
import { pruneExpired, retentionPolicyFromEnv } from "../lib/outbox/retention";
import { readBrokerSettings } from "../lib/settings/broker-settings";
import { hasDatabase } from "./database.mixin";

export function PlumbingRetentionMixin(): Partial<ServiceSchema> {
  const policy = retentionPolicyFromEnv();
  const intervalMs = readBrokerSettings().pruneIntervalMs;
  // One mixin per service schema, so the timer is that service's.
  let timer: NodeJS.Timeout | undefined;
  return {
    started(this: Service) {
      if (!hasDatabase(this)) throw new Error(`${this.name}: PlumbingRetentionMixin needs DatabaseMixin before it`);
      const service = this;
      timer = setInterval(() => {
        pruneExpired(service.db, policy)
          .then((pruned) => pruned.outbox + pruned.inbox > 0 && service.logger.info(`pruned ${pruned.outbox} outbox and ${pruned.inbox} inbox rows`))
          .catch((error: Error) => service.logger.warn(`pruning failed (retried next interval): ${error.message}`));
      }, intervalMs);
      timer.unref();
    },
    stopped() {
      clearInterval(timer);
    },
  };
}
