/** The orchestrator's part of the shop's metrics: what its committed transitions say about sagas. */
import type { MetricRegistry } from "moleculer";
import { SHOP_METRICS } from "../../lib/metrics/shop-metrics";
import type { SagaObservation } from "../../lib/saga/saga-observations";

/** The counter each kind of observation adds one to. */
const COUNTED = {
  started: SHOP_METRICS.sagasStarted,
  completed: SHOP_METRICS.sagasCompleted,
  failed: SHOP_METRICS.sagasFailed,
  step_failed: SHOP_METRICS.stepsFailed,
  parked: SHOP_METRICS.sagasParked,
  compensated: SHOP_METRICS.compensations,
  resent: SHOP_METRICS.commandResends,
  deadline_passed: SHOP_METRICS.deadlinesPassed,
} as const;

/** Every metric the orchestrator records: the counters, step latency, and the consumer lag its delivery probe samples. */
export const SAGA_METRICS = [...Object.values(COUNTED), SHOP_METRICS.stepSeconds, SHOP_METRICS.consumerLag];

export function recordSagaObservations(registry: MetricRegistry, observations: readonly SagaObservation[]): void {
  for (const observation of observations) {
    if (observation.kind === "reply_latency") {
      const { saga, step, direction, seconds } = observation;
      registry.observe(SHOP_METRICS.stepSeconds.name, seconds, { saga, step, direction });
    } else {
      const { kind, ...labels } = observation;
      registry.increment(COUNTED[kind].name, labels);
    }
  }
}
