/**
 * A probe service for plumbing tests: consumes one topic through
 * idempotentChannel into a table of the product database, and records every
 * delivery it sees (duplicates included, before the inbox decides).
 */
import { randomUUID } from "node:crypto";
import knex, { type Knex } from "knex";
import type { KafkaMessage } from "kafkajs";
import type { Middleware, ServiceBroker, ServiceSchema } from "moleculer";
import { databaseUrl } from "../../lib/environment";
import { type ReceivedBatch, consumerGroupId } from "../../lib/channels/kafka-batch-adapter";
import type { InboundMessage } from "../../lib/inbox/idempotent-consumer";
import { OutboxWriter } from "../../lib/outbox/outbox-writer";
import { DatabaseMixin } from "../../mixins/database.mixin";
import { deadLetterTopic, idempotentChannel } from "../../mixins/idempotent-channel";
import { startBroker } from "./broker";
import { createTopics, headerValue, kafka } from "./kafka";

/** A probe with this label fails its handler every time (an error that is not transient): a poison message. */
export const REFUSED_LABEL = "refused";

export interface Probe {
  seq: number;
  label: string;
}

export interface Delivery {
  message: InboundMessage<Probe>;
  raw: KafkaMessage;
}

export class ProbePipeline {
  readonly run = randomUUID().slice(0, 8);
  readonly topic = `itest.${this.run}.probes`;
  readonly table = `itest_probe_${this.run}`;
  readonly deliveries: Delivery[] = [];
  private readonly consumerName = `probe-consumer-${this.run}`;
  readonly producerDb: Knex = knex({ client: "pg", connection: databaseUrl("account"), pool: { min: 0, max: 4 } });
  readonly consumerDb: Knex = knex({ client: "pg", connection: databaseUrl("product"), pool: { min: 0, max: 4 } });
  private readonly outbox = new OutboxWriter();
  private broker?: ServiceBroker;
  /** Runs once, before the next batch reaches the channel's handler (after it is recorded as delivered). */
  private beforeNextBatch?: () => Promise<void>;

  /** `sessionTimeoutMs`: the consumer's Kafka session timeout, for tests that outlast it. */
  constructor(private readonly options: { sessionTimeoutMs?: number } = {}) {}

  /** `action` runs when the next batch arrives, before its handler: to hold it, or to throw in its place. */
  onNextBatch(action: () => Promise<void>): void {
    this.beforeNextBatch = action;
  }

  async start(): Promise<void> {
    await createTopics([this.topic, deadLetterTopic(this.topic)]);
    await this.consumerDb.schema.createTable(this.table, (t) => {
      t.uuid("message_id").notNullable();
      t.text("key").notNullable();
      t.integer("seq").notNullable();
      t.bigIncrements("applied_order");
    });
    await this.startConsumer();
  }

  private async startConsumer(): Promise<void> {
    this.broker = await startBroker([]);
    this.broker.middlewares.add(this.recorder());
    this.broker.createService(this.service());
    await this.broker.waitForServices("probe-consumer");
  }

  /** The consumer group of the probe channel (as @moleculer/channels names it). */
  get groupId(): string {
    return consumerGroupId(this.consumerName, this.topic);
  }

  /**
   * Stops the consumer, moves its group's committed offsets back to the
   * start of the topic, and starts it again: what a consumer that crashed
   * after its transactions committed and before its offsets did would find.
   */
  async restartFromTheBeginning(): Promise<void> {
    await this.broker?.stop();
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.resetOffsets({ groupId: this.groupId, topic: this.topic, earliest: true });
    } finally {
      await admin.disconnect();
    }
    await this.startConsumer();
  }

  async stop(): Promise<void> {
    await this.broker?.stop();
    await this.consumerDb.schema.dropTableIfExists(this.table);
    await Promise.all([this.producerDb.destroy(), this.consumerDb.destroy()]);
  }

  /** Writes one probe through the outbox; with `rollback`, the transaction is rolled back instead. */
  async write(key: string, payload: Probe, options: { rollback?: boolean } = {}): Promise<string> {
    let id = "";
    await this.producerDb
      .transaction(async (trx) => {
        [id] = await this.outbox.append(trx, { topic: this.topic, key, type: "ProbeRecorded", payload });
        if (options.rollback) throw new Error("rolled back on purpose");
      })
      .catch((error: Error) => {
        if (!options.rollback) throw error;
      });
    return id;
  }

  delivered(id: string): Delivery[] {
    return this.deliveries.filter((d) => d.message.id === id);
  }

  async appliedCount(ids: string | string[]): Promise<number> {
    const [{ count }] = await this.consumerDb(this.table)
      .whereIn("message_id", Array.isArray(ids) ? ids : [ids])
      .count<{ count: string }[]>("* as count");
    return Number(count);
  }

  private service(): ServiceSchema {
    const table = this.table;
    const channel = idempotentChannel({
      topic: this.topic,
      consumer: this.consumerName,
      retry: { attempts: 2, baseDelayMs: 10 },
      handlers: {
        ProbeRecorded: {
          schema: { seq: "number|integer", label: "string" },
          async handle(trx, message) {
            if ((message.payload as Probe).label === REFUSED_LABEL) throw new Error("the probe refuses this one");
            await trx(table).insert({ message_id: message.id, key: message.key, seq: (message.payload as Probe).seq });
          },
        },
      },
    });
    const { sessionTimeoutMs } = this.options;
    const kafka = sessionTimeoutMs
      ? { ...channel.kafka, sessionTimeout: sessionTimeoutMs, heartbeatInterval: Math.floor(sessionTimeoutMs / 6) }
      : channel.kafka;
    return { name: "probe-consumer", mixins: [DatabaseMixin("product")], channels: { [this.topic]: { ...channel, kafka } } };
  }

  private recorder(): Middleware {
    const { deliveries, topic } = this;
    const pipeline = this;
    return {
      name: "RecordDeliveries",
      localChannel(next: (batch: ReceivedBatch) => Promise<void>) {
        return async (batch: ReceivedBatch) => {
          for (const { raw, payload } of batch.messages) {
            deliveries.push({
              message: {
                id: headerValue(raw, "id") ?? "",
                type: headerValue(raw, "type") ?? "",
                key: raw.key?.toString() ?? "",
                topic,
                payload: payload as Probe,
              },
              raw,
            });
          }
          const action = pipeline.beforeNextBatch;
          pipeline.beforeNextBatch = undefined;
          await action?.();
          return next(batch);
        };
      },
    } as unknown as Middleware;
  }
}
