/**
 * A @moleculer/channels Kafka channel whose messages are applied through an
 * IdempotentConsumer. Messages that can never be applied go to the topic's
 * dead-letter topic with the reason in a header, and the partition moves on.
 * (A value that is not JSON fails in the adapter before it reaches us; the
 * adapter's own dead-lettering sends it to the same topic.)
 */
import type { Service } from "moleculer";
import type { KafkaMessage } from "kafkajs";
import { TOPICS, type Topic } from "../contracts/topics";
import type { Knex } from "knex";
import { IdempotentConsumer, type IdempotentConsumerOptions, type InboundMessage, type MessageHandler } from "../lib/inbox/idempotent-consumer";

export const deadLetterTopic = (topic: string) => `${topic}.dead-letter`;
export const DEAD_LETTER_REASON_HEADER = "x-dead-letter-reason";

/** A message handler that runs with the consuming service as `this`. */
export interface ServiceMessageHandler<TService = Service> {
  schema?: MessageHandler["schema"];
  handle(this: TService, trx: Knex.Transaction, message: InboundMessage<any>): ReturnType<MessageHandler["handle"]>;
}

export interface IdempotentChannelOptions<TService = Service> extends Omit<IdempotentConsumerOptions, "db" | "handlers"> {
  topic: string;
  db: (service: TService) => Knex;
  handlers: Record<string, ServiceMessageHandler<TService>>;
  /** Partitions handled at once by this consumer (per-key order holds either way); default: all of a declared topic's. */
  concurrency?: number;
}

function header(message: KafkaMessage, name: string): string | undefined {
  const value = message.headers?.[name];
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value[0] : value)?.toString();
}

export function idempotentChannel<TService = Service>(options: IdempotentChannelOptions<TService>) {
  let consumer: IdempotentConsumer | undefined;
  return {
    group: options.consumer,
    context: false,
    maxRetries: 0,
    deadLettering: { enabled: true, queueName: deadLetterTopic(options.topic) },
    kafka: { fromBeginning: true, partitionsConsumedConcurrently: options.concurrency ?? TOPICS[options.topic as Topic] ?? 6 },
    async handler(this: Service, payload: unknown, raw: KafkaMessage): Promise<void> {
      const service = this as unknown as TService;
      consumer ??= new IdempotentConsumer({
        ...options,
        db: () => options.db(service),
        handlers: Object.fromEntries(
          Object.entries(options.handlers).map(([type, h]) => [type, { schema: h.schema, handle: (trx, message) => h.handle.call(service, trx, message) }]),
        ),
        onRetry: (m, attempt, error) => this.logger.warn(`retrying ${m.type} ${m.id} (attempt ${attempt}):`, (error as Error).message),
        onAfterCommitError: (m, error) => this.logger.error(`after-commit step of ${m.type} ${m.id} failed:`, error),
      });
      const message: InboundMessage = {
        id: header(raw, "id") ?? "",
        type: header(raw, "type") ?? "",
        key: raw.key?.toString() ?? "",
        topic: options.topic,
        payload,
        traceparent: header(raw, "traceparent"),
      };
      const outcome = await consumer.process(message);
      if (outcome.kind === "dead-letter") {
        this.logger.error(`dead-lettering ${message.type || "(no type)"} ${message.id || "(no id)"} from ${options.topic}: ${outcome.reason}`);
        await this.broker.sendToChannel(deadLetterTopic(options.topic), raw.value, {
          raw: true,
          key: raw.key,
          headers: {
            ...stringHeaders(raw),
            [DEAD_LETTER_REASON_HEADER]: outcome.reason,
            "x-original-channel": options.topic,
            "x-original-group": options.consumer,
          },
        } as never);
      }
    },
  };
}

function stringHeaders(raw: KafkaMessage): Record<string, string> {
  const result: Record<string, string> = {};
  for (const name of Object.keys(raw.headers ?? {})) {
    const value = header(raw, name);
    if (value !== undefined) result[name] = value;
  }
  return result;
}
