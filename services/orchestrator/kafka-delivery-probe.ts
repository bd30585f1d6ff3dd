/**
 * How far each topic's consumer group has read, measured on Kafka, so the
 * deadline sweeper can tell a queued command from a lost one.
 *
 * Every call samples each topic's end offsets. A sample taken at time S is
 * "read" once the group's committed offset has reached its end offset on every
 * partition: everything published before S has then been consumed. The topic
 * is read through the newest such S. This holds under steady load, when a
 * queue is never empty at the moment it is looked at.
 *
 * The plumbing sits before and under Kafka: while a Debezium connector is not
 * running, an outbox reports rows waiting (OUTBOX_FLOW_EVENT), or Kafka does
 * not answer, messages wait where no offset shows them, so no topic is read
 * past the last time the plumbing was seen carrying; and once it carries
 * again, not past the outage until Debezium has had time to publish what
 * piled up (PIPELINE_CATCH_UP_MS). Time the plumbing could not carry is no
 * participant's failure: plumbingPausedMs() tells the engine how much to
 * add to its cap on postponement.
 */
import { type Admin, Kafka, logLevel } from "kafkajs";
import type { OutboxFlowReport } from "../../contracts/outbox-flow";
import { PipelineHealth } from "../../lib/outbox/pipeline-health";
import { partitionEnds, readPositions, unread } from "../../lib/channels/unread-messages";
import { type KafkaConnection, SERVICE_DATABASES, connectorName } from "../../lib/environment";
import type { DeliveryProbe } from "../../lib/saga/saga-engine";

/** After an outage, how long the connectors get to publish the WAL that piled up before offsets are trusted again. */
const PIPELINE_CATCH_UP_MS = 30_000;

interface Sample {
  at: Date;
  /** partition → end offset when the sample was taken */
  ends: Map<number, bigint>;
}

export interface KafkaDeliveryProbeOptions {
  kafka: KafkaConnection;
  /** topic → the consumer group that reads it; topics without one are not waited on */
  readers: ReadonlyMap<string, string>;
  /** Kafka Connect's REST URL, to check that the outbox connectors run; null to skip the check. */
  connectUrl: string | null;
  /** Samples older than this are dropped; a topic unread for longer is treated as read through then. */
  horizonMs: number;
  /** Told each sample's lag: messages on `topic` its reader `group` has not committed yet. */
  onLag?: (topic: string, group: string, messages: number) => void;
}

export class KafkaDeliveryProbe implements DeliveryProbe {
  private readonly admin: Admin;
  private connected = false;
  private readonly samples = new Map<string, Sample[]>();
  private readonly readThroughOf = new Map<string, Date>();
  private pipelineSeenRunning: Date | null = null;
  private pipelineSeenDown: Date | null = null;
  /** Since when every connector has run again after the last outage seen. */
  private pipelineBackSince: Date | null = null;
  private readonly outboxes = new PipelineHealth();
  /** Plumbing outages of the recent past, added up; reset once it has carried for a full horizon. */
  private pausedMs = 0;
  /** When the current outage began; null while the plumbing carries. */
  private downSince: Date | null = null;

  constructor(private readonly options: KafkaDeliveryProbeOptions) {
    // Few retries: a broker that does not answer is itself the answer (nothing can be known past the last sample).
    const kafka = new Kafka({ clientId: "orchestrator-delivery-probe", ...options.kafka, logLevel: logLevel.NOTHING, retry: { retries: 1 } });
    this.admin = kafka.admin();
  }

  /** An outbox's report (OUTBOX_FLOW_EVENT): one that is not flowing holds every deadline back. */
  noteOutboxFlow(report: OutboxFlowReport): void {
    this.outboxes.note(report);
  }

  async readThrough(topics: readonly string[], now: Date): Promise<ReadonlyMap<string, Date>> {
    const sampled = new Map<string, Date>();
    let kafkaAnswered = true;
    for (const topic of topics) {
      const group = this.options.readers.get(topic);
      if (!group) continue;
      const sample = await this.sampleTopic(topic, group, now);
      kafkaAnswered &&= sample.answered;
      sampled.set(topic, sample.readThrough);
    }
    this.notePlumbing(kafkaAnswered && (await this.pipelineRunning()) && this.outboxes.verdict(now.getTime()).carrying, now);
    return new Map([...sampled].map(([topic, readThrough]) => [topic, this.capped(readThrough, now)]));
  }

  /**
   * How long the plumbing could not carry messages lately (Infinity while it
   * cannot): a deadline's cap on postponement waits that much longer, so an
   * outage does not use up a step's budget.
   */
  plumbingPausedMs(): number {
    return this.downSince === null ? this.pausedMs : Infinity;
  }

  private notePlumbing(carrying: boolean, now: Date): void {
    if (!carrying) {
      this.downSince ??= now;
      this.pipelineSeenDown = now;
      this.pipelineBackSince = null;
      return;
    }
    if (this.downSince !== null) {
      this.pausedMs += now.getTime() - this.downSince.getTime();
      this.downSince = null;
    }
    this.pipelineSeenRunning = now;
    this.pipelineBackSince ??= now;
    // Deadlines that fell due during an outage have all been judged once the plumbing has carried for a full horizon.
    if (now.getTime() - this.pipelineBackSince.getTime() > this.options.horizonMs + PIPELINE_CATCH_UP_MS) this.pausedMs = 0;
  }

  async stop(): Promise<void> {
    if (this.connected) await this.admin.disconnect();
    this.connected = false;
  }

  /**
   * No topic counts as read past the last time the plumbing carried, however
   * long ago, nor, for a while after an outage, past the outage (or the
   * horizon, once that is long past).
   */
  private capped(readThrough: Date, now: Date): Date {
    const floor = now.getTime() - this.options.horizonMs;
    if (this.downSince !== null) return new Date(Math.min(readThrough.getTime(), (this.pipelineSeenRunning ?? this.downSince).getTime()));
    const catchingUp = this.pipelineBackSince !== null && now.getTime() - this.pipelineBackSince.getTime() < PIPELINE_CATCH_UP_MS;
    const pipeline = (catchingUp ? this.pipelineSeenDown : this.pipelineSeenRunning)?.getTime() ?? floor;
    return new Date(Math.min(readThrough.getTime(), Math.max(pipeline, floor)));
  }

  /** Takes a sample and answers the newest sample time the group has read through; the last known one if Kafka does not answer. */
  private async sampleTopic(topic: string, group: string, now: Date): Promise<{ readThrough: Date; answered: boolean }> {
    const floor = new Date(now.getTime() - this.options.horizonMs);
    const known = this.readThroughOf.get(topic) ?? floor;
    let ends: Map<number, bigint>;
    let committed: Map<number, bigint>;
    try {
      if (!this.connected) {
        await this.admin.connect();
        this.connected = true;
      }
      const [offsets, [groupOffsets]] = await Promise.all([this.admin.fetchTopicOffsets(topic), this.admin.fetchOffsets({ groupId: group, topics: [topic] })]);
      ends = partitionEnds(offsets);
      committed = readPositions(offsets, groupOffsets?.partitions ?? []);
      this.options.onLag?.(topic, group, Number(unread(ends, committed)));
    } catch {
      return { readThrough: known > floor ? known : floor, answered: false };
    }

    const samples = (this.samples.get(topic) ?? []).filter((s) => s.at > floor);
    samples.push({ at: now, ends });
    let readThrough = known;
    while (samples.length > 0 && isRead(samples[0]!, committed)) readThrough = samples.shift()!.at;
    this.samples.set(topic, samples);
    if (readThrough < floor) readThrough = floor;
    this.readThroughOf.set(topic, readThrough);
    return { readThrough, answered: true };
  }

  private async pipelineRunning(): Promise<boolean> {
    if (this.options.connectUrl === null) return true;
    try {
      const res = await fetch(`${this.options.connectUrl}/connectors?expand=status`, { signal: AbortSignal.timeout(2_000) });
      if (!res.ok) return false;
      const connectors = (await res.json()) as Record<string, { status?: ConnectorStatus } | undefined>;
      return SERVICE_DATABASES.every((db) => {
        const status = connectors[connectorName(db)]?.status;
        return status?.connector.state === "RUNNING" && status.tasks.length > 0 && status.tasks.every((t) => t.state === "RUNNING");
      });
    } catch {
      return false;
    }
  }
}

interface ConnectorStatus {
  connector: { state: string };
  tasks: { state: string }[];
}

/** Whether the group has consumed everything that was on the topic when the sample was taken. */
function isRead(sample: Sample, committed: ReadonlyMap<number, bigint>): boolean {
  for (const [partition, end] of sample.ends) if ((committed.get(partition) ?? 0n) < end) return false;
  return true;
}
