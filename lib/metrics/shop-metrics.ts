/**
 * The shop's own Prometheus metrics, beside Moleculer's: one list, so each
 * name, its labels and its meaning are written once (the README's metrics
 * table is checked against it). A service registers the ones it records in
 * its `created` hook; with metrics off (no METRICS_PORT) Moleculer's
 * registry ignores them. Moleculer writes a name's dots as underscores.
 */
import type { MetricRegistry } from "moleculer";

export interface ShopMetric {
  name: string;
  type: "counter" | "gauge" | "histogram";
  labelNames: readonly string[];
  description: string;
  /** Histograms: upper bounds of the buckets, in seconds. */
  buckets?: readonly number[];
  /** Histograms: quantiles over the last minute (Moleculer's reporter writes _sum and _count only beside them). */
  quantiles?: readonly number[];
}

const QUANTILES = [0.5, 0.99];

/** From a fast local hop to a step that waited on a crowd or a re-send. */
const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export const SHOP_METRICS = {
  purchasesAccepted: {
    name: "shop.purchases.accepted.total",
    type: "counter",
    labelNames: [],
    description: "Purchases the door recorded and answered 202 (a repeat under the same Idempotency-Key is not counted again)",
  },
  pendingRepublished: {
    name: "shop.purchases.pending.republished.total",
    type: "counter",
    labelNames: [],
    description: "PENDING purchases whose PurchaseCreated was re-published",
  },
  pendingUnpublishable: {
    name: "shop.purchases.pending.unpublishable.total",
    type: "counter",
    labelNames: [],
    description: "PENDING purchases found with a PurchaseCreated the orchestrator would refuse",
  },
  sagasStarted: { name: "shop.sagas.started.total", type: "counter", labelNames: ["saga"], description: "Sagas started" },
  sagasCompleted: { name: "shop.sagas.completed.total", type: "counter", labelNames: ["saga"], description: "Sagas that ended COMPLETED" },
  sagasFailed: {
    name: "shop.sagas.failed.total",
    type: "counter",
    labelNames: ["saga"],
    description: "Sagas that ended FAILED (compensated, or aborted by an operator)",
  },
  stepsFailed: {
    name: "shop.saga.steps.failed.total",
    type: "counter",
    labelNames: ["saga", "step"],
    description: "Steps that refused or ran out of time, starting compensation: the reason a saga failed",
  },
  sagasParked: {
    name: "shop.sagas.parked.total",
    type: "counter",
    labelNames: ["saga", "step"],
    description: "Sagas parked as NEEDS_ATTENTION, by the step that could not finish",
  },
  compensations: { name: "shop.saga.compensations.total", type: "counter", labelNames: ["saga", "step"], description: "Steps undone by their compensation" },
  commandResends: {
    name: "shop.saga.commands.resent.total",
    type: "counter",
    labelNames: ["saga", "step", "direction"],
    description: "Commands sent again after their reply deadline passed",
  },
  deadlinesPassed: {
    name: "shop.saga.deadlines.passed.total",
    type: "counter",
    labelNames: ["saga", "step", "direction"],
    description: "Reply deadlines that passed (each is followed by a re-send, a compensation or a park)",
  },
  stepSeconds: {
    name: "shop.saga.step.seconds",
    type: "histogram",
    labelNames: ["saga", "step", "direction"],
    description: "From a command's send to the orchestrator's acceptance of its reply (direction: forward or compensate)",
    buckets: SECONDS_BUCKETS,
    quantiles: QUANTILES,
  },
  outboxSlotLag: {
    name: "shop.outbox.slot.lag.bytes",
    type: "gauge",
    labelNames: ["database"],
    description:
      "WAL the database's Debezium slot has not confirmed yet (grows while Connect is down or behind; on a cluster shared by several databases it also counts the others' WAL since this one last changed)",
  },
  outboxStalled: {
    name: "shop.outbox.stalled",
    type: "gauge",
    labelNames: ["database"],
    description:
      "1 while the database's outbox is stalled (a row has waited past OUTBOX_STALL_AFTER_MS and the Debezium slot has not moved for as long), else 0",
  },
  outboxOldestWaiting: {
    name: "shop.outbox.oldest.waiting.seconds",
    type: "gauge",
    labelNames: ["database"],
    description: "How long the oldest outbox row Debezium has not confirmed has waited (0 when none waits)",
  },
  consumerLag: {
    name: "shop.kafka.consumer.lag",
    type: "gauge",
    labelNames: ["topic", "group"],
    description: "Messages on a saga topic its consumer group has not committed yet (sampled by the orchestrator's deadline sweeper, about once a second)",
  },
  deadLetters: {
    name: "shop.dead.letters.total",
    type: "counter",
    labelNames: ["topic"],
    description: "Messages set aside to <topic>.dead-letter as never applicable",
  },
  productReads: {
    name: "shop.product.reads.total",
    type: "counter",
    labelNames: ["outcome"],
    description:
      "Product reads by id: hit (cache), waited (another reader's fill, the stampede lock at work), miss (read Postgres and filled the cache), fallback (read Postgres: waited too long for a fill, or Redis unavailable), absent (refused by the cuckoo filter, no lookup)",
  },
  httpRequests: {
    name: "shop.http.requests.total",
    type: "counter",
    labelNames: ["method", "route", "status"],
    description: "Requests the gateway answered, by route template (unmatched: no route) and status",
  },
  httpSeconds: {
    name: "shop.http.request.seconds",
    type: "histogram",
    labelNames: ["method", "route"],
    description: "Time from a request's arrival to the end of its answer (an event stream counts until it closes)",
    buckets: SECONDS_BUCKETS,
    quantiles: QUANTILES,
  },
} as const satisfies Record<string, ShopMetric>;

/** Registers `metrics` in this broker's registry (once each; a second registration is skipped). */
export function registerShopMetrics(registry: MetricRegistry, metrics: readonly ShopMetric[]): void {
  for (const metric of metrics) {
    if (registry.getMetric(metric.name)) continue;
    registry.register({
      ...metric,
      labelNames: [...metric.labelNames],
      ...(metric.buckets ? { buckets: [...metric.buckets] } : {}),
      ...(metric.quantiles ? { quantiles: [...metric.quantiles] } : {}),
    });
  }
}
