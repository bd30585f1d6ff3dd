/**
 * A @moleculer/channels Kafka channel consumed in batches (lib/channels/
 * kafka-batch-adapter) whose messages are applied through an
 * IdempotentConsumer, a batch of one partition in as few transactions as it
 * can. Messages that can never be applied (a value that is not JSON
 * included) go to the topic's dead-letter topic with the reason in a header,
 * and the partition moves on.
 *
 * The handler returns only once every message of its batch is applied, found
 * a duplicate, ignored, or safely in the dead-letter topic; only then does
 * the adapter commit the batch's offsets.
 */
import type { Service } from "moleculer";
import type { DatabaseThis } from "./database.mixin";
import type { KafkaMessage } from "kafkajs";
import { consumerConcurrency } from "../contracts/topics";
import type { Knex } from "knex";
import { DEFAULT_BACKOFF, DEFAULT_REPORT_INTERVAL_MS, backoffDelay, reportThrottle, sleep } from "../lib/inbox/backoff";
import type { ReceivedBatch } from "../lib/channels/kafka-batch-adapter";
import { handleInMessageTrace, handleInMessageTraces, type InMessageContext } from "../lib/telemetry/message-trace";
import { SHOP_METRICS, registerShopMetrics } from "../lib/metrics/shop-metrics";
import {
  IdempotentConsumer,
  type AfterCommit,
  type IdempotentConsumerOptions,
  type InboundMessage,
  type MessageHandler,
  type Outcome,
} from "../lib/inbox/idempotent-consumer";

export const deadLetterTopic = (topic: string) => `${topic}.dead-letter`;
export const DEAD_LETTER_REASON_HEADER = "x-dead-letter-reason";
// A reason quotes validation messages; kept short so the dead letter stays far below Kafka's message size limit.
const MAX_REASON_LENGTH = 2_000;
/**
 * Messages of one partition applied in one transaction. Large enough that a
 * burst costs a few commits, small enough that the locks a batch holds (a
 * product row, say) are held briefly and a split batch halves in a few steps.
 */
export const CHANNEL_BATCH_SIZE = 100;
/**
 * How long the group coordinator waits for a silent member before it hands
 * its partitions on: a consumer killed without leaving its group holds
 * them that long, and its restarted self waits it out to rejoin. kafkajs's
 * default, 30 s, made every `kill -9` of a service a 30 s stop of its step
 * (the chaos table); kafkajs has no static membership (it sends no
 * group.instance.id). A member heartbeats after every fetch, which waits up
 * to 5 s on an idle topic, so 10 s leaves one heartbeat of slack.
 */
export const CONSUMER_SESSION = { sessionTimeout: 10_000, heartbeatInterval: 3_000 } as const;

/** A service with the database mixin: its channel's messages are applied in its own database. */
export type ConsumingService = Service & DatabaseThis;

/** As MessageHandler, with the service as `this`; `handleAll`'s `within[i]` runs work in message i's span, so what it sends carries that message's trace. */
export type ServiceMessageHandler<TService extends ConsumingService = ConsumingService> = {
  schema?: MessageHandler["schema"];
} & (
  | { handle(this: TService, trx: Knex.Transaction, message: InboundMessage<any>): Promise<void | AfterCommit>; handleAll?: undefined }
  | { handleAll(this: TService, trx: Knex.Transaction, messages: InboundMessage<any>[], within: InMessageContext[]): Promise<void>; handle?: undefined }
);

export interface IdempotentChannelOptions<TService extends ConsumingService = ConsumingService> extends Omit<IdempotentConsumerOptions, "db" | "handlers"> {
  topic: string;
  handlers: Record<string, ServiceMessageHandler<TService>>;
  /** Partitions handled at once by this consumer (per-key order holds either way); default: all of a declared topic's. */
  concurrency?: number;
  /** Messages of one partition applied in one transaction, at most; default CHANNEL_BATCH_SIZE. */
  batchSize?: number;
}

function header(message: KafkaMessage, name: string): string | undefined {
  const value = message.headers?.[name];
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value[0] : value)?.toString();
}

/** The channel definition for a service's `channels`; its handler runs with that service (TService) as `this`. */
export function idempotentChannel<TService extends ConsumingService = ConsumingService>(options: IdempotentChannelOptions<TService>) {
  let consumer: IdempotentConsumer | undefined;
  return {
    group: options.consumer,
    context: false,
    kafka: { ...CONSUMER_SESSION, fromBeginning: true, partitionsConsumedConcurrently: options.concurrency ?? consumerConcurrency(options.topic) },
    batch: { maxSize: options.batchSize ?? CHANNEL_BATCH_SIZE },
    async handler(this: TService, batch: ReceivedBatch): Promise<void> {
      const service = this;
      if (!consumer) registerShopMetrics(this.broker.metrics, [SHOP_METRICS.deadLetters]);
      consumer ??= new IdempotentConsumer({
        ...options,
        db: () => service.db,
        handlers: boundHandlers(service, options.handlers),
        onRetry: (m, attempt, error, { transient, delayMs, failingForMs }) =>
          this.logger.warn(
            `retrying ${m.type} ${m.id} from ${options.topic} in ${delayMs} ms (attempt ${attempt}, ${transient ? "transient, without limit" : "not transient"}, failing for ${Math.round(failingForMs / 1000)} s):`,
            (error as Error).message,
          ),
        onAfterCommitError: (m, error) => this.logger.error(`after-commit step of ${m.type} ${m.id} failed:`, error),
      });
      const messages = batch.messages.map(({ raw, payload }) => inboundMessage(options.topic, raw, payload));
      const applied = await consumer.processBatch(messages.filter((_, index) => batch.messages[index].unreadable === undefined));
      let next = 0;
      const outcomes = batch.messages.map(({ unreadable }): Outcome =>
        unreadable === undefined ? applied[next++] : { kind: "dead-letter", reason: `value is not JSON: ${unreadable}` },
      );
      for (const [index, outcome] of outcomes.entries()) {
        if (outcome.kind !== "dead-letter") continue;
        const message = messages[index];
        this.logger.error(`dead-lettering ${message.type || "(no type)"} ${message.id || "(no id)"} from ${options.topic}: ${outcome.reason}`);
        await sendToDeadLetter(this, options, batch.messages[index].raw, outcome.reason.slice(0, MAX_REASON_LENGTH));
        this.broker.metrics.increment(SHOP_METRICS.deadLetters.name, { topic: options.topic });
      }
    },
  };
}

/**
 * The handlers with the service as `this`, each message in its trace. Types
 * whose handlers share one handleAll share its bound copy, so a run of them
 * can go to it together (each type keeps its own schema).
 */
function boundHandlers<TService extends ConsumingService>(
  service: TService,
  handlers: Record<string, ServiceMessageHandler<TService>>,
): Record<string, MessageHandler> {
  const boundRuns = new Map<unknown, NonNullable<MessageHandler["handleAll"]>>();
  const bind = (h: ServiceMessageHandler<TService>): MessageHandler => {
    if (h.handleAll) {
      const { handleAll } = h;
      if (!boundRuns.has(handleAll)) {
        boundRuns.set(handleAll, (trx, messages) => handleInMessageTraces(messages, (within) => handleAll.call(service, trx, messages, within)));
      }
      return { schema: h.schema, handleAll: boundRuns.get(handleAll)! };
    }
    const { handle } = h;
    return { schema: h.schema, handle: (trx, message) => handleInMessageTrace(message, () => handle.call(service, trx, message)) };
  };
  return Object.fromEntries(Object.entries(handlers).map(([type, h]) => [type, bind(h)]));
}

function inboundMessage(topic: string, raw: KafkaMessage, payload: unknown): InboundMessage {
  return {
    id: header(raw, "id") ?? "",
    type: header(raw, "type") ?? "",
    key: raw.key?.toString() ?? "",
    topic,
    payload,
    traceparent: header(raw, "traceparent"),
  };
}

/**
 * Publishes the dead letter, trying until Kafka takes it; only then may the
 * handler return and the adapter commit the batch's offsets.
 *
 * A failed publish is retried here, holding the partition like any transient
 * error: throwing instead would restart the consumer and re-apply the whole
 * batch (harmless, but a loop while Kafka refuses). A service stopping
 * meanwhile waits for it (the adapter unsubscribes only once no message is
 * in progress); a process killed meanwhile has committed nothing, so the
 * batch comes again.
 */
async function sendToDeadLetter<TService extends ConsumingService>(
  service: Service,
  options: IdempotentChannelOptions<TService>,
  raw: KafkaMessage,
  reason: string,
): Promise<void> {
  const topic = deadLetterTopic(options.topic);
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const shouldReport = reportThrottle(options.retryReportIntervalMs ?? DEFAULT_REPORT_INTERVAL_MS);
  for (let failures = 1; ; failures++) {
    try {
      await service.broker.sendToChannel(topic, raw.value, {
        raw: true,
        key: raw.key,
        headers: {
          ...stringHeaders(raw),
          [DEAD_LETTER_REASON_HEADER]: reason,
          "x-original-channel": options.topic,
          "x-original-group": options.consumer,
        },
      } as never);
      return;
    } catch (error) {
      if (shouldReport()) {
        service.logger.error(`could not publish to ${topic} (try ${failures}; the message stays unacknowledged and is retried):`, (error as Error).message);
      }
      await sleep(backoffDelay(failures, backoff));
    }
  }
}

function stringHeaders(raw: KafkaMessage): Record<string, string> {
  const result: Record<string, string> = {};
  for (const name of Object.keys(raw.headers ?? {})) {
    const value = header(raw, name);
    if (value !== undefined) result[name] = value;
  }
  return result;
}
