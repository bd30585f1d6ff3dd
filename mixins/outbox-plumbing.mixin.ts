/**
 * The upkeep of a service database's outbox and inbox, on timers while the
 * service runs: prunes both past their retention (OUTBOX_RETENTION_*,
 * INBOX_RETENTION_*; PLUMBING_PRUNE_INTERVAL_MS, hourly by default; several
 * instances pruning at once is harmless), and watches whether the outbox
 * streams (lib/outbox/outbox-watch.ts: every OUTBOX_WATCH_INTERVAL_MS,
 * mending a stall it can mend), telling the other services by the
 * OUTBOX_FLOW_EVENT and, with metrics on, publishing what each look found as
 * shop_outbox_slot_lag_bytes, shop_outbox_stalled and
 * shop_outbox_oldest_waiting_seconds{database}. Its actions are the
 * operators' (console and dashboard, through the ops service): the outbox's
 * state, a replay of a time range, and how far a replay has got. Comes after
 * DatabaseMixin, whose pool it uses.
 */
import type { Context, Service, ServiceSchema } from "moleculer";
import { OUTBOX_FLOW_EVENT } from "../contracts/outbox-flow";
import { type ServiceDatabase, kafkaConnection } from "../lib/environment";
import { SHOP_METRICS, registerShopMetrics } from "../lib/metrics/shop-metrics";
import { replayProgress, requestOutboxReplay } from "../lib/outbox/outbox-replay";
import { outboxStatus } from "../lib/outbox/outbox-status";
import { OutboxWatch, outboxPlumbing } from "../lib/outbox/outbox-watch";
import { pruneExpired, retentionPolicyFromEnv } from "../lib/outbox/retention";
import { FIRST_PRUNE_AFTER_MS, PeriodicWork } from "../lib/scheduling/periodic-work";
import { readBrokerSettings } from "../lib/settings/broker-settings";
import { hasDatabase } from "./database.mixin";

export function OutboxPlumbingMixin(database: ServiceDatabase): Partial<ServiceSchema> {
  const policy = retentionPolicyFromEnv();
  const { pruneIntervalMs: pruneEveryMs, outboxWatchIntervalMs, outboxStallAfterMs, connectUrl } = readBrokerSettings();
  let watch: OutboxWatch | undefined;
  // One mixin per service schema, so the schedules are that service's.
  const schedules: PeriodicWork[] = [];
  const every = (ms: number, work: () => Promise<unknown>, onError: (error: Error) => void, firstAfterMs = ms) => {
    const schedule = new PeriodicWork(ms, work, (error) => onError(error as Error));
    schedules.push(schedule);
    schedule.start(firstAfterMs);
  };
  return {
    actions: {
      outboxStatus: {
        visibility: "public",
        handler(this: Service) {
          return outboxStatus(databaseOf(this), database, watch?.latest ?? null);
        },
      },
      /** Re-publishes the outbox rows created in [from, to). */
      replayOutbox: {
        visibility: "public",
        params: { $$strict: "remove", from: { type: "date", convert: true }, to: { type: "date", convert: true } },
        handler(this: Service, ctx: Context<{ from: Date; to: Date }>) {
          return requestOutboxReplay(databaseOf(this), ctx.params);
        },
      },
      replayProgress: {
        visibility: "public",
        params: { $$strict: "remove", requestedAt: { type: "date", convert: true }, rows: { type: "number", integer: true, min: 0, convert: true } },
        handler(this: Service, ctx: Context<{ requestedAt: Date; rows: number }>) {
          return replayProgress(databaseOf(this), ctx.params);
        },
      },
    },
    started(this: Service) {
      const service = this;
      const db = databaseOf(service);
      every(
        pruneEveryMs,
        () =>
          pruneExpired(db, policy).then(
            (pruned) => pruned.outbox + pruned.inbox > 0 && service.logger.info(`pruned ${pruned.outbox} outbox and ${pruned.inbox} inbox rows`),
          ),
        (error) => service.logger.warn(`pruning failed (retried next interval): ${error.message}`),
        FIRST_PRUNE_AFTER_MS,
      );
      const metrics = service.broker.metrics.isEnabled() ? service.broker.metrics : null;
      if (metrics) registerShopMetrics(metrics, [SHOP_METRICS.outboxSlotLag, SHOP_METRICS.outboxStalled, SHOP_METRICS.outboxOldestWaiting]);
      const outboxWatch = new OutboxWatch({
        database,
        plumbing: outboxPlumbing(db, database, kafkaConnection(), connectUrl),
        stallAfterMs: outboxStallAfterMs,
        logger: service.logger,
        // Best effort: a report lost while the transporter is away is followed by the next one.
        report: (report) => void service.broker.broadcast(OUTBOX_FLOW_EVENT, report).catch(() => undefined),
      });
      watch = outboxWatch;
      every(
        outboxWatchIntervalMs,
        () =>
          outboxWatch.check().then((report) => {
            if (!metrics) return;
            if (report.slotLagBytes !== null) metrics.set(SHOP_METRICS.outboxSlotLag.name, report.slotLagBytes, { database });
            metrics.set(SHOP_METRICS.outboxStalled.name, report.state === "stalled" ? 1 : 0, { database });
            metrics.set(SHOP_METRICS.outboxOldestWaiting.name, report.oldestWaitMs / 1000, { database });
          }),
        (error) => service.logger.debug(`outbox not read: ${error.message}`),
      );
    },
    // Waits for a prune or a look in progress: the database mixin closes the pool after this.
    async stopped() {
      await Promise.all(schedules.splice(0).map((schedule) => schedule.stop()));
    },
  };
}

function databaseOf(service: Service) {
  if (!hasDatabase(service)) throw new Error(`${service.name}: OutboxPlumbingMixin needs DatabaseMixin before it`);
  return service.db;
}
