/**
 * Operations: what the operator's dashboard (/ops/) and console show and do
 * beyond the orchestrator's saga actions. It reads, never owns: saga counts
 * from the orchestrator, each database's outbox from the service that owns it,
 * consumer lag and dead letters from Kafka, saga throughput from the
 * orchestrators' metrics. It requeues dead letters and asks a service to
 * replay its outbox, and logs who did either.
 */
import { Cluster } from "ioredis";
import { Kafka, logLevel, type Admin } from "kafkajs";
import { Errors, type Context, type Service, type ServiceSchema, type ServiceSettingSchema } from "moleculer";
import { TOPICS } from "../../contracts/topics";
import { operatorOf, type AuthenticatedMeta } from "../../lib/auth/authenticated-user";
import { SERVICE_DATABASES, kafkaConnection, redisClusterOptions, redisNodes, type ServiceDatabase } from "../../lib/environment";
import { SHOP_METRICS } from "../../lib/metrics/shop-metrics";
import { PeriodicWork } from "../../lib/scheduling/periodic-work";
import { withinTime } from "../../lib/scheduling/within-time";
import type { ReplayProgress, ReplayRequest } from "../../lib/outbox/outbox-replay";
import type { OutboxStatus } from "../../lib/outbox/outbox-status";
import type { SagaCountsView } from "../orchestrator/saga-views";
import { BackgroundRead, type ReadOutcome } from "./background-read";
import { consumerLag, type ConsumerLag } from "./consumer-lag";
import { countDeadLetters, letterPosition, listDeadLetters, requeueDeadLetter, type Requeue } from "./dead-letters";
import type { DeadLetterCount, ListedDeadLetter, Overview, OutboxRow, ReplayView } from "./ops-views";
import { ThroughputSampler, type SagaTotals } from "./throughput";

const { MoleculerClientError } = Errors;

/** How long one overview serves every dashboard that asks. */
const OVERVIEW_FRESH_MS = 2_000;
/** How long the overview waits for any one of its parts: a frozen service or an unreachable Kafka costs its panel, not the page. */
const PART_TIMEOUT_MS = 3_000;
const THROUGHPUT_SAMPLE_SECONDS = 5;
/** Ten minutes of samples. */
const THROUGHPUT_SAMPLES_KEPT = 120;
/** Replays the dashboard lists (the latest first). */
const REPLAYS_KEPT = 20;

interface OpsThis extends Service {
  kafka: Kafka;
  admin: Admin;
  redis: Cluster;
  sampler: ThroughputSampler;
  sampling: PeriodicWork;
  replays: ReplayView[];
  latest: { at: number; overview: Promise<Overview> } | undefined;
  lagReading: BackgroundRead<ConsumerLag[]>;
  deadLetterReading: BackgroundRead<DeadLetterCount[]>;
  outboxReading: BackgroundRead<OutboxRow[]>;
  readOverview(): Promise<Overview>;
  outboxRows(): Promise<OutboxRow[]>;
  sampleThroughput(): Promise<void>;
  replaysWithProgress(): Promise<ReplayView[]>;
}

const TOPIC_NAMES = Object.keys(TOPICS);
const requeuedKey = (topic: string) => `ops:requeued:{${topic}}`;
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

const OpsService: ServiceSchema<ServiceSettingSchema, OpsThis> = {
  name: "ops",

  actions: {
    /** Everything the dashboard's live panels show, at most OVERVIEW_FRESH_MS old. */
    overview: {
      handler(this: OpsThis) {
        if (!this.latest || Date.now() - this.latest.at > OVERVIEW_FRESH_MS) this.latest = { at: Date.now(), overview: this.readOverview() };
        return this.latest.overview;
      },
    },
    /** Per database: rows kept, rows waiting for Debezium and the oldest one's time, the slot. */
    outbox: {
      visibility: "public",
      handler(this: OpsThis) {
        return this.outboxRows();
      },
    },
    consumerLag: {
      visibility: "public",
      handler(this: OpsThis) {
        return consumerLag(this.admin);
      },
    },
    deadLetters: {
      params: { $$strict: "remove", topic: { type: "enum", values: TOPIC_NAMES } },
      async handler(this: OpsThis, ctx: Context<{ topic: string }>): Promise<ListedDeadLetter[]> {
        const [letters, marks] = await Promise.all([listDeadLetters(this.kafka, ctx.params.topic), this.redis.hgetall(requeuedKey(ctx.params.topic))]);
        return letters.map((letter) => {
          const mark = marks[letterPosition(letter)];
          return { ...letter, requeued: mark ? (JSON.parse(mark) as Requeue) : null };
        });
      },
    },
    /** Publishes one dead letter again to its original topic, and notes who did. */
    requeueDeadLetter: {
      params: {
        $$strict: "remove",
        topic: { type: "enum", values: TOPIC_NAMES },
        partition: { type: "number", integer: true, min: 0, convert: true },
        offset: { type: "string", numeric: true, max: 20 },
      },
      async handler(this: OpsThis, ctx: Context<{ topic: string; partition: number; offset: string }, AuthenticatedMeta>) {
        const { topic, partition, offset } = ctx.params;
        const letter = (await listDeadLetters(this.kafka, topic)).find((l) => l.partition === partition && l.offset === offset);
        if (!letter) throw new MoleculerClientError(`No dead letter of ${topic} at partition ${partition}, offset ${offset}`, 404, "DEAD_LETTER_NOT_FOUND");
        await requeueDeadLetter(this.kafka, letter);
        const requeue: Requeue = { by: operatorOf(ctx), at: new Date().toISOString() };
        await this.redis.hset(requeuedKey(topic), letterPosition(letter), JSON.stringify(requeue));
        this.logger.info(`dead letter ${topic} ${letterPosition(letter)} (${letter.type ?? "message"} ${letter.id ?? ""}) requeued by ${requeue.by}`);
        return { ...letter, requeued: requeue };
      },
    },
    /** Asks the service that owns `database` to replay its outbox rows created in [from, to). */
    replayOutbox: {
      params: {
        $$strict: "remove",
        database: { type: "enum", values: SERVICE_DATABASES },
        from: { type: "date", convert: true },
        to: { type: "date", convert: true },
      },
      async handler(this: OpsThis, ctx: Context<{ database: ServiceDatabase; from: Date; to: Date }, AuthenticatedMeta>): Promise<ReplayView> {
        const { database, from, to } = ctx.params;
        if (from >= to)
          throw new MoleculerClientError(`A replay runs forward: from (${from.toISOString()}) must come before to (${to.toISOString()})`, 422, "INVALID_RANGE");
        if (from > new Date())
          throw new MoleculerClientError(`Nothing was written after now: from (${from.toISOString()}) is in the future`, 422, "INVALID_RANGE");
        const request = await ctx.call<ReplayRequest, { from: Date; to: Date }>(`${database}.replayOutbox`, { from, to });
        const replay: ReplayView = { ...request, database, from: from.toISOString(), to: to.toISOString(), requestedBy: operatorOf(ctx), progress: null };
        this.replays.unshift(replay);
        this.replays.splice(REPLAYS_KEPT);
        this.latest = undefined;
        this.logger.info(`replay of ${database}'s outbox from ${replay.from} to ${replay.to} (${replay.rows} rows) requested by ${replay.requestedBy}`);
        return replay;
      },
    },
    /** The replays asked for through this service, latest first, with how far each has got. */
    replays: {
      handler(this: OpsThis) {
        return this.replaysWithProgress();
      },
    },
  },

  methods: {
    async readOverview(this: OpsThis): Promise<Overview> {
      const problems: string[] = [];
      const settle = <T>(what: string, work: Promise<T>): Promise<T | null> =>
        withinTime(work, PART_TIMEOUT_MS).catch((error: unknown) => {
          problems.push(`${what}: ${message(error)}`);
          return null;
        });
      const readBehind = <T>(what: string, outcome: ReadOutcome<T>): T | null => {
        if ("value" in outcome) return outcome.value;
        problems.push(`${what}: ${outcome.error.message}`);
        return null;
      };
      const [sagas, outboxes, lag, letters, replays] = await Promise.all([
        settle("saga counts", this.broker.call<SagaCountsView>("orchestrator.countSagas")),
        this.outboxReading.get(),
        this.lagReading.get(),
        this.deadLetterReading.get(),
        this.replaysWithProgress(),
      ]);
      const [consumers, deadLetters] = [readBehind("consumer lag", lag), readBehind("dead letters", letters)];
      // The reads behind the overview run now, between overviews: started beside one, their work delayed its answer (from a node, p50 48 → 22 ms).
      for (const reading of [this.outboxReading, this.lagReading, this.deadLetterReading]) reading.refresh();
      // Each database's failure is in its own row; the read as a whole fails only if something unforeseen throws.
      const outbox = readBehind("outboxes", outboxes) ?? [];
      for (const row of outbox) if ("error" in row) problems.push(`outbox of ${row.database}: ${row.error}`);
      return { at: new Date().toISOString(), sagas, throughput: this.sampler.series(), outbox, consumers, deadLetters, replays, problems };
    },

    outboxRows(this: OpsThis): Promise<OutboxRow[]> {
      return Promise.all(
        SERVICE_DATABASES.map((database) =>
          this.broker
            .call<OutboxStatus, object>(`${database}.outboxStatus`, {}, { timeout: PART_TIMEOUT_MS })
            .catch((error: unknown): OutboxRow => ({ database, error: message(error) })),
        ),
      );
    },

    /** The replays asked for here, each with its progress read again unless it is done (a done one stays as it was). */
    replaysWithProgress(this: OpsThis): Promise<ReplayView[]> {
      return Promise.all(
        this.replays.map(async (replay) => {
          if (replay.progress?.done) return replay;
          try {
            replay.progress = await this.broker.call<ReplayProgress, object>(
              `${replay.database}.replayProgress`,
              { requestedAt: replay.requestedAt, rows: replay.rows },
              { timeout: PART_TIMEOUT_MS },
            );
          } catch (error) {
            this.logger.debug(`progress of the ${replay.database} replay not read: ${message(error)}`);
          }
          return replay;
        }),
      );
    },

    async sampleThroughput(this: OpsThis): Promise<void> {
      // The registry lists each service once per node that runs it, with that node's id.
      const nodes = this.broker.registry
        .getServiceList({ onlyAvailable: true })
        .flatMap((service) => (service.name === "orchestrator" && "nodeID" in service && typeof service.nodeID === "string" ? [service.nodeID] : []));
      const totals = new Map<string, SagaTotals>();
      await Promise.all(
        nodes.map(async (nodeID) => {
          const metrics = await this.broker
            .call<MetricSnapshot[] | null, object>("$node.metrics", { includes: [SHOP_METRICS.sagasCompleted.name, SHOP_METRICS.sagasFailed.name] }, { nodeID })
            .catch(() => null);
          if (!metrics) return;
          totals.set(nodeID, { completed: sumOf(metrics, SHOP_METRICS.sagasCompleted.name), failed: sumOf(metrics, SHOP_METRICS.sagasFailed.name) });
        }),
      );
      this.sampler.record(totals);
    },
  },

  created(this: OpsThis) {
    this.kafka = new Kafka({ clientId: "ops", ...kafkaConnection(), logLevel: logLevel.NOTHING });
    this.admin = this.kafka.admin();
    this.redis = new Cluster(redisNodes(), redisClusterOptions({ lazyConnect: true, enableOfflineQueue: true, redisOptions: { commandTimeout: 5_000 } }));
    this.sampler = new ThroughputSampler(THROUGHPUT_SAMPLE_SECONDS, THROUGHPUT_SAMPLES_KEPT);
    // About fifty Kafka requests between them, answered one after another on the admin's connection: read
    // behind the overview, so it never waits for them (measured: 43–169 ms of each overview's 55–180).
    // The outboxes too: six calls to six services, each a Redis Cluster hop that can stall 40 ms (README, pipeline settings).
    this.outboxReading = new BackgroundRead(() => this.outboxRows(), OVERVIEW_FRESH_MS);
    this.lagReading = new BackgroundRead(() => withinTime(consumerLag(this.admin), PART_TIMEOUT_MS), OVERVIEW_FRESH_MS);
    this.deadLetterReading = new BackgroundRead(
      () =>
        withinTime(
          Promise.all([countDeadLetters(this.admin, TOPIC_NAMES), Promise.all(TOPIC_NAMES.map((topic) => this.redis.hlen(requeuedKey(topic))))]).then(
            ([kept, requeued]) => TOPIC_NAMES.map((topic, i) => ({ topic, kept: kept.get(topic) ?? 0, requeued: requeued[i] })),
          ),
          PART_TIMEOUT_MS,
        ),
      OVERVIEW_FRESH_MS,
    );
    this.replays = [];
  },

  async started(this: OpsThis) {
    await this.admin.connect();
    this.sampling = new PeriodicWork(
      THROUGHPUT_SAMPLE_SECONDS * 1000,
      () => this.sampleThroughput(),
      (error) => this.logger.warn(`throughput sample failed (taken again next interval): ${message(error)}`),
    );
    this.sampling.start();
  },

  async stopped(this: OpsThis) {
    await this.sampling.stop();
    await this.admin.disconnect().catch(() => undefined);
    await this.redis.quit().catch(() => undefined);
  },
};

/** A metric as `$node.metrics` lists it: one value per label set. */
interface MetricSnapshot {
  name: string;
  values: { value: number }[];
}

const sumOf = (metrics: MetricSnapshot[], name: string) =>
  metrics.filter((metric) => metric.name === name).reduce((sum, metric) => sum + metric.values.reduce((s, v) => s + Number(v.value), 0), 0);

export = OpsService;
