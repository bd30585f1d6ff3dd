/**
 * Publishes how far the service database's outbox is behind Kafka, as the
 * gauge shop_outbox_slot_lag_bytes{database}: read every 15 s while metrics
 * are on. Comes after DatabaseMixin, whose pool it uses.
 */
import type { Service, ServiceSchema } from "moleculer";
import type { ServiceDatabase } from "../lib/environment";
import { SHOP_METRICS, registerShopMetrics } from "../lib/metrics/shop-metrics";
import { slotLag } from "../lib/outbox/outbox-lag";
import { hasDatabase } from "./database.mixin";

const READ_EVERY_MS = 15_000;

export function OutboxLagMixin(database: ServiceDatabase): Partial<ServiceSchema> {
  // One mixin per service schema, so the timer is that service's.
  let timer: NodeJS.Timeout | undefined;
  return {
    started(this: Service) {
      if (!hasDatabase(this)) throw new Error(`${this.name}: OutboxLagMixin needs DatabaseMixin before it`);
      if (!this.broker.metrics.isEnabled()) return;
      registerShopMetrics(this.broker.metrics, [SHOP_METRICS.outboxSlotLag]);
      const service = this;
      const read = () =>
        slotLag(service.db, database)
          .then(({ lagBytes }) => lagBytes !== null && service.broker.metrics.set(SHOP_METRICS.outboxSlotLag.name, lagBytes, { database }))
          .catch((error: Error) => service.logger.debug(`outbox lag not read: ${error.message}`));
      void read();
      timer = setInterval(read, READ_EVERY_MS);
      timer.unref();
    },
    stopped() {
      clearInterval(timer);
    },
  };
}
