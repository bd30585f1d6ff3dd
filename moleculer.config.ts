/**
 * Broker settings shared by every node. Redis Cluster carries Moleculer's
 * own traffic (transporter) and its cache; Kafka, through @moleculer/channels,
 * carries the business messages that Debezium streams from the outboxes.
 */
// First the settings file (.env), then the tracing SDK, which must be in place before what it instruments loads.
import "./lib/settings/env-file";
import { stopTracing } from "./lib/telemetry/start-tracing";
import type { BrokerOptions, Middleware } from "moleculer";
import { Middleware as ChannelsMiddleware } from "@moleculer/channels";
import { Partitioners } from "kafkajs";
import { KAFKA_BATCH_ADAPTER } from "./lib/channels/kafka-batch-adapter";
import { DatabaseErrors, isServiceFailure } from "./lib/errors/database-refusals";
import { ActionDocumentation } from "./lib/http/rest-description";
import { kafkaConnection, redisClusterOptions, redisNodes } from "./lib/environment";
import { readBrokerSettings } from "./lib/settings/broker-settings";
import { TraceMiddleware } from "./lib/telemetry/trace-middleware";
import { AWAITED_REDIS_TRANSPORTER } from "./lib/transport/redis-transporter";
import { jsonLogLine } from "./lib/telemetry/json-log-formatter";

const nodes = redisNodes();
const settings = readBrokerSettings();

const config: BrokerOptions = {
  namespace: settings.namespace,
  nodeID: settings.nodeId,
  logger: {
    type: "Console",
    options: {
      // The channels adapter logs every message it commits at info: on the hot path that is noise and CPU.
      level: { "CHANNELS*": "warn", "**": settings.logLevel },
      formatter: settings.logFormat === "json" ? jsonLogLine : "short",
      colors: settings.logFormat === "text" && process.stdout.isTTY,
    },
  },
  // Auto-pipelining: the commands of one event-loop turn go out in one write per Redis node. Under a crowd the
  // gateway's packets (a PUBLISH each) were a socket write each: a fifth of its CPU.
  // A PUBLISH is awaited (lib/transport/redis-transporter): with auto-pipelining a fire-and-forget one could be lost.
  transporter: {
    type: AWAITED_REDIS_TRANSPORTER,
    options: { cluster: { nodes, clusterOptions: redisClusterOptions({ enableReadyCheck: true, enableAutoPipelining: true }) } },
  },
  cacher: {
    type: "Redis",
    options: { prefix: "cache", ttl: 300, cluster: { nodes, options: redisClusterOptions({ enableReadyCheck: true, enableAutoPipelining: true }) } },
  },
  serializer: "JSON",
  // Custom rules get (value, errors) and may return a converted value (see the catalog's canonical ids).
  validator: { type: "Fastest", options: { useNewCustomCheckerFunction: true } },
  requestTimeout: 10_000,
  retryPolicy: { enabled: false },
  registry: { strategy: "RoundRobin", preferLocal: true },
  // Only the called service's own failures count: a client's bad input never opens the circuit for everyone.
  circuitBreaker: { enabled: true, threshold: 0.5, minRequestCount: 20, windowTime: 60, halfOpenTime: 10_000, check: isServiceFailure },
  // Per action and node: beyond `concurrency` calls wait in a queue; past it callers get 429 QUEUE_FULL (back-pressure).
  bulkhead: { enabled: true, ...settings.bulkhead },
  // Prometheus scrapes each node on METRICS_PORT (the stack tool gives every service one): broker, action and channel metrics.
  metrics: settings.metricsPort
    ? {
        enabled: true,
        reporter: [{ type: "Prometheus", options: { host: settings.bindAddress, port: settings.metricsPort, path: "/metrics" } }],
      }
    : { enabled: false },
  // Moleculer's own tracer stays off: TraceMiddleware joins calls and events to OpenTelemetry's traces instead.
  tracing: { enabled: false },
  middlewares: [
    ...(stopTracing ? [TraceMiddleware, { stopped: stopTracing } satisfies Middleware] : []),
    DatabaseErrors,
    ActionDocumentation,
    ChannelsMiddleware({
      adapter: {
        // The package's Kafka adapter, plus batch consumption for channels that ask for it (mixins/idempotent-channel).
        type: KAFKA_BATCH_ADAPTER,
        // Topics are named exactly as the outbox's aggregatetype: no namespace prefix.
        options: {
          kafka: {
            ...kafkaConnection(),
            clientId: settings.nodeId ?? "saga",
            // Java's partitioner (as Debezium's producer uses): a key re-published from here lands on its partition.
            producerOptions: { createPartitioner: Partitioners.DefaultPartitioner },
          },
          prefix: "",
        },
      },
      context: false,
    }),
  ],
};

export = config;
