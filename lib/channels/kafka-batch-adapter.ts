/**
 * A @moleculer/channels Kafka adapter that can hand a channel's handler the
 * messages of one partition as a batch.
 *
 * The package's own Kafka adapter runs kafkajs `eachMessage` and awaits an
 * offset commit after every message: a consumer is capped near one message
 * per commit round trip, and a handler cannot share one database transaction
 * between messages. A channel that declares `batch` here is consumed with
 * `eachBatch` instead: its handler gets up to `batch.maxSize` messages of one
 * partition, in offset order, and their offsets are committed only after the
 * handler has settled, so a crash before that redelivers the batch (which
 * the inbox makes harmless). Channels without `batch` run as the package's
 * adapter runs them.
 *
 * A batch handler must settle only once every message of its batch is dealt
 * with (applied, or dead-lettered by itself): a handler that throws leaves
 * the offsets uncommitted, and kafkajs restarts the consumer from the last
 * committed offset.
 */
import { Adapters } from "@moleculer/channels";
import type { Consumer, ConsumerConfig, EachBatchPayload, KafkaMessage } from "kafkajs";

/** The name under which the adapter is registered (the `type` in the channels middleware's `adapter`). */
export const KAFKA_BATCH_ADAPTER = "KafkaBatch";

/** One message of a batch: the value as the adapter's serializer read it, or why it could not. */
export interface BatchMessage {
  raw: KafkaMessage;
  payload: unknown;
  /** Set when the value could not be deserialized; `payload` is then undefined. */
  unreadable?: string;
}

export interface ReceivedBatch {
  topic: string;
  partition: number;
  messages: BatchMessage[];
}

export interface BatchOptions {
  /** Messages per handler call; a fetched batch larger than this is handed over in slices, each committed on its own. */
  maxSize: number;
}

type Channel = Parameters<InstanceType<typeof Adapters.Kafka>["subscribe"]>[0];

/** A channel's `kafka` options as the adapter reads them: consumer settings plus how to subscribe and run. */
type ChannelKafkaOptions = Partial<ConsumerConfig> & { fromBeginning?: boolean; partitionsConsumedConcurrently?: number };

/** What a channel definition carries for this adapter (on top of the package's channel options). */
export interface BatchChannel extends Channel {
  batch?: BatchOptions;
}

export class KafkaBatchAdapter extends Adapters.Kafka {
  override async subscribe(chan: BatchChannel): Promise<void> {
    const batch = chan.batch;
    if (!batch) return super.subscribe(chan);
    this.logger.debug(`Subscribing to '${chan.name}' chan with '${chan.group}' group in batches of up to ${batch.maxSize}`, chan.id);
    // The package types a channel's `kafka` as a client config; it carries consumer and run options.
    const { fromBeginning, partitionsConsumedConcurrently, ...consumerConfig }: ChannelKafkaOptions = chan.kafka ?? {};
    const consumer = this.client.consumer({ ...consumerConfig, groupId: `${chan.group}:${chan.name}` });
    this.consumers.set(chan.id, consumer);
    await consumer.connect();
    this.initChannelActiveMessages(chan.id);
    await consumer.subscribe({ topic: chan.name, fromBeginning });
    await consumer.run({
      autoCommit: false,
      // Offsets are resolved slice by slice, once committed: a consumer stopped mid-batch resumes at the first message not applied.
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently,
      eachBatch: (payload) => this.processBatch(chan, consumer, batch, payload),
    });
  }

  private async processBatch(chan: BatchChannel, consumer: Consumer, options: BatchOptions, payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    // The middleware's wrappers pass their arguments through: a batch channel's handler takes the batch.
    const handle = (received: ReceivedBatch): Promise<void> => chan.handler(received);
    for (let start = 0; start < batch.messages.length; start += options.maxSize) {
      // A stopping service, a lost partition or a seek: leave the rest for whoever consumes next.
      if (chan.unsubscribing || !isRunning() || isStale()) return;
      const slice = batch.messages.slice(start, start + options.maxSize);
      const ids = slice.map((m) => `${batch.partition}:${m.offset}`);
      this.addChannelActiveMessages(chan.id, ids);
      try {
        await handle({ topic: batch.topic, partition: batch.partition, messages: slice.map((raw) => this.read(raw)) });
        const last = slice[slice.length - 1].offset;
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(Number(last) + 1) }]);
        resolveOffset(last);
      } finally {
        this.removeChannelActiveMessages(chan.id, ids);
      }
      await heartbeat();
    }
  }

  private read(raw: KafkaMessage): BatchMessage {
    try {
      return { raw, payload: raw.value === null ? undefined : this.serializer.deserialize(raw.value) };
    } catch (error) {
      return { raw, payload: undefined, unreadable: (error as Error).message };
    }
  }
}

// What `Adapters.register` does; its typing asks for an instance, but the resolver constructs what is registered (`new Adapter(options)`).
Object.assign(Adapters, { [KAFKA_BATCH_ADAPTER]: KafkaBatchAdapter });
