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
 *
 * A batch consumer never stays dead. kafkajs restarts a consumer after a
 * retriable crash only; after any other (seen: a process frozen past its
 * session timeout commits with a member id the coordinator has forgotten)
 * it stops for good, and the channel would silently consume nothing until
 * the process restarted. Such a consumer is replaced here, with a backoff,
 * until a new one runs or the channel is unsubscribed.
 */
import { Adapters } from "@moleculer/channels";
import type { Consumer, ConsumerConfig, EachBatchPayload, KafkaMessage } from "kafkajs";
import { DEFAULT_BACKOFF, backoffDelay, sleep } from "../inbox/backoff";

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

/** The consumer group a service's channel joins: `<group>:<channel name>` (our channels are named by their topic). */
export const consumerGroupId = (consumer: string, topic: string) => `${consumer}:${topic}`;

export class KafkaBatchAdapter extends Adapters.Kafka {
  override async subscribe(chan: BatchChannel): Promise<void> {
    const batch = chan.batch;
    if (!batch) return super.subscribe(chan);
    this.logger.debug(`Subscribing to '${chan.name}' chan with '${chan.group}' group in batches of up to ${batch.maxSize}`, chan.id);
    this.initChannelActiveMessages(chan.id);
    await this.consume(chan, batch);
  }

  /** Starts a consumer for the channel; it becomes the channel's consumer (the one `unsubscribe` stops) before it connects. */
  private async consume(chan: BatchChannel, options: BatchOptions): Promise<void> {
    // The package types a channel's `kafka` as a client config; it carries consumer and run options.
    const { fromBeginning, partitionsConsumedConcurrently, ...consumerConfig }: ChannelKafkaOptions = chan.kafka ?? {};
    const consumer = this.client.consumer({ ...consumerConfig, groupId: consumerGroupId(chan.group, chan.name) });
    this.consumers.set(chan.id, consumer);
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) void this.replaceCrashed(chan, options, consumer, payload.error);
    });
    await consumer.connect();
    await consumer.subscribe({ topic: chan.name, fromBeginning });
    await consumer.run({
      autoCommit: false,
      // Offsets are resolved slice by slice, once committed: a consumer stopped mid-batch resumes at the first message not applied.
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently,
      eachBatch: (payload) => this.processBatch(chan, options, payload),
    });
  }

  /** A consumer kafkajs gave up on: replaced by a new one (same group, so it resumes from the committed offsets). */
  private async replaceCrashed(chan: BatchChannel, options: BatchOptions, crashed: Consumer, reason: Error): Promise<void> {
    this.logger.error(
      `The consumer of '${chan.name}' (group '${chan.group}') stopped after an error kafkajs does not restart from; starting a new one:`,
      reason.message,
    );
    let failed = crashed;
    for (let failures = 1; ; failures++) {
      await failed.disconnect().catch(() => undefined);
      await sleep(backoffDelay(failures, DEFAULT_BACKOFF));
      // Unsubscribed meanwhile, or already replaced: nothing to do.
      if (chan.unsubscribing || this.consumers.get(chan.id) !== failed) return;
      try {
        await this.consume(chan, options);
        // At warn: the channels' loggers are set to warn, and a recovery belongs in the log.
        this.logger.warn(`A new consumer of '${chan.name}' (group '${chan.group}') runs.`);
        return;
      } catch (error) {
        this.logger.warn(`Could not start a new consumer of '${chan.name}' (try ${failures}):`, (error as Error).message);
        failed = this.consumers.get(chan.id) ?? failed;
      }
    }
  }

  private async processBatch(chan: BatchChannel, options: BatchOptions, payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary } = payload;
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
        // The batch's own commit lets a rebalance or a forgotten member id reach kafkajs as such, and it re-joins the group
        // (the consumer's commitOffsets wraps them in an error it stops on).
        await commitOffsetsIfNecessary({
          topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(Number(last) + 1) }] }],
        });
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
