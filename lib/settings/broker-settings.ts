/** What every service's broker (moleculer.config.ts) and database mixin read from the environment. */
import { choiceSetting, integerSetting, textSetting, type Environment } from "./settings";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const LOG_FORMATS = ["text", "json"] as const;

export interface BrokerSettings {
  /** Brokers see only others of their namespace (NAMESPACE; none by default). */
  namespace: string;
  /** NODE_ID; Moleculer makes one from host and pid when unset. */
  nodeId: string | undefined;
  logLevel: LogLevel;
  /** text for people; json (a line an object, with the trace id) for a log shipper. */
  logFormat: (typeof LOG_FORMATS)[number];
  /** Per action and node: calls at once, and calls waiting, before 429 QUEUE_FULL. */
  bulkhead: { concurrency: number; maxQueueSize: number };
  /** Prometheus metrics on this port, or none. */
  metricsPort: number | null;
  /** Where servers listen (the gateway, metrics): loopback unless told otherwise. */
  bindAddress: string;
  /** How often each service prunes its outbox and inbox past their retention. */
  pruneIntervalMs: number;
  /** How often each service reads whether its outbox streams (lib/outbox/outbox-flow.ts). */
  outboxWatchIntervalMs: number;
  /** A row waiting longer than this is late; with the slot standing still as long, the outbox is stalled. */
  outboxStallAfterMs: number;
  /** Kafka Connect's REST API, where known (the stack and compose set it): a stalled outbox's connector is restarted there. */
  connectUrl: string | null;
}

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

export function readBrokerSettings(env: Environment = process.env): BrokerSettings {
  const metricsPort = integerSetting(env, "METRICS_PORT", 0, 0, 65_535);
  return {
    namespace: textSetting(env, "NAMESPACE", "", NAME, "letters, digits, '.', '_' or '-' (at most 64)"),
    nodeId: textSetting(env, "NODE_ID", "", NAME, "letters, digits, '.', '_' or '-' (at most 64)") || undefined,
    logLevel: choiceSetting(env, "LOG_LEVEL", "info", LOG_LEVELS),
    logFormat: choiceSetting(env, "LOG_FORMAT", "text", LOG_FORMATS),
    bulkhead: {
      concurrency: integerSetting(env, "BULKHEAD_CONCURRENCY", 50, 1),
      maxQueueSize: integerSetting(env, "BULKHEAD_MAX_QUEUE", 1_000, 0),
    },
    metricsPort: metricsPort === 0 ? null : metricsPort,
    bindAddress: textSetting(env, "BIND_ADDRESS", "127.0.0.1", /^[0-9a-fA-F.:]+$/, "an IP address"),
    pruneIntervalMs: integerSetting(env, "PLUMBING_PRUNE_INTERVAL_MS", 3_600_000, 1_000),
    outboxWatchIntervalMs: integerSetting(env, "OUTBOX_WATCH_INTERVAL_MS", 5_000, 500),
    // Debezium confirms a row about a second after Kafka has it; half a minute is far past any healthy wait.
    outboxStallAfterMs: integerSetting(env, "OUTBOX_STALL_AFTER_MS", 30_000, 1_000),
    connectUrl: textSetting(env, "CONNECT_URL", "", /^https?:\/\/\S+$/, "an http(s) URL") || null,
  };
}
