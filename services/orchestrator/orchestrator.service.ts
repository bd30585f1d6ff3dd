/**
 * The saga orchestrator: runs every purchase as a saga (lib/saga). Each
 * message it applies commits in one transaction with its inbox record, the
 * saga's new state and log and the commands it causes; after the commit the
 * client's progress goes out as a Moleculer event (progress-notes.ts). A
 * timer applies overdue deadlines; operators list, show, retry and abort
 * sagas, from the console or the dashboard (routed under /ops/api, for operators only).
 * Ended sagas and their logs are removed once past SAGA_RETENTION_DAYS.
 */
import type { Knex } from "knex";
import { Errors, type Context, type Service, type ServiceSchema, type ServiceSettingSchema } from "moleculer";
import { CANCELLED_BY_CUSTOMER, PurchaseCancelRequested, PurchaseCreated, type PurchaseSagaData } from "../../contracts/purchase-saga";
import { PURCHASE_PROGRESSED_EVENT, type PurchaseProgressed } from "../../contracts/purchase-progress";
import { operatorOf, type AuthenticatedMeta } from "../../lib/auth/authenticated-user";
import type { InboundMessage } from "../../lib/inbox/idempotent-consumer";
import { OutboxWriter } from "../../lib/outbox/outbox-writer";
import { sagaReplySchema, type SagaReply } from "../../lib/saga/messages";
import { SagaEngine } from "../../lib/saga/saga-engine";
import { SagaStore } from "../../lib/saga/saga-store";
import { SAGA_STATUSES, type SagaStatus } from "../../lib/saga/state";
import type { TransitionResult } from "../../lib/saga/transitions";
import type { SagaDefinition } from "../../lib/saga/definition";
import type { InMessageContext } from "../../lib/telemetry/message-trace";
import { kafkaConnection } from "../../lib/environment";
import { FIRST_PRUNE_AFTER_MS, PeriodicWork } from "../../lib/scheduling/periodic-work";
import { readBrokerSettings } from "../../lib/settings/broker-settings";
import { OUTBOX_FLOW_EVENT, type OutboxFlowReport } from "../../contracts/outbox-flow";
import { DatabaseMixin, type DatabaseThis } from "../../mixins/database.mixin";
import { OutboxPlumbingMixin } from "../../mixins/outbox-plumbing.mixin";
import { idempotentChannel, type ServiceMessageHandler } from "../../mixins/idempotent-channel";
import { DeadlineSweeper } from "./deadline-sweeper";
import { KafkaDeliveryProbe } from "./kafka-delivery-probe";
import { SAGA_REPLIES_TOPIC, TOPIC_READERS, consumerOf, isDeclaredTopic } from "../../contracts/topics";
import { consumerGroupId } from "../../lib/channels/kafka-batch-adapter";
import { readOrchestratorSettings } from "./orchestrator-settings";
import { progressNotes } from "./progress-notes";
import { SAGA_METRICS, recordSagaObservations } from "./saga-metrics";
import { SHOP_METRICS, registerShopMetrics } from "../../lib/metrics/shop-metrics";
import { sagaObservations } from "../../lib/saga/saga-observations";
import { PURCHASE_SAGA_TOPICS, PURCHASE_SAGA_VERSIONS, buildPurchaseSaga, type PurchaseSagaTopics } from "./purchase-saga";
import { ENDED_SAGAS_COUNTED_FOR_MS, type SagaCountsView, sagaView, sagaWithLogView, storedSagaView } from "./saga-views";

const { MoleculerClientError } = Errors;

export interface OrchestratorOptions {
  /** Inbox consumer name and Kafka consumer group. */
  consumer?: string;
  topics?: PurchaseSagaTopics;
  /** The saga type it runs (and alone advances); a test on private topics takes its own. */
  sagaType?: string;
}

/**
 * The consumer group the deadline probe waits on for each topic the sagas
 * send commands to, as the catalogue names its reader (one per command
 * topic). A test's private topic has no declared reader, so is not waited on.
 */
function participantGroups<Data>(definitions: readonly SagaDefinition<Data>[]): Map<string, string> {
  const topics = new Set(definitions.flatMap((definition) => definition.steps.map((step) => step.topic)));
  return new Map([...topics].filter(isDeclaredTopic).map((topic) => [topic, consumerGroupId(TOPIC_READERS[topic][0]!.consumer, topic)]));
}

interface OrchestratorThis extends Service, DatabaseThis {
  store: SagaStore;
  engine: SagaEngine<PurchaseSagaData>;
  sweeper: DeadlineSweeper;
  deliveryProbe: KafkaDeliveryProbe;
  retention: PeriodicWork;
}

// Fields the contract does not know are dropped, not carried into the saga's data.
const purchaseCreatedSchema = { $$strict: "remove", ...PurchaseCreated.schema };
const cancelRequestedSchema = { $$strict: "remove", ...PurchaseCancelRequested.schema };

const sagaIdParams = { $$strict: "remove", id: "uuid" } as const;

/** Ended sagas removed per transaction by retention. */
const RETENTION_BATCH = 1_000;
const DAY_MS = 86_400_000;

/** Most sagas one listing returns. */
const MAX_SAGAS_LISTED = 500;

/** The service that listens to progress notes, and how long a note waits for it to be discovered before it is given up. */
const PURCHASE_PROGRESSED_LISTENER = "purchase";
const LISTENER_WAIT_MS = 30_000;

interface SagaListParams {
  status?: SagaStatus;
  id?: string;
  customerId?: string;
  changedSince?: Date;
  changedBefore?: Date;
  limit?: number;
  offset?: number;
}

/**
 * One orchestrator service per call. Topics and the consumer name are
 * parameters so a test can run a private instance beside the real one.
 */
export function createOrchestratorService(options: OrchestratorOptions = {}): ServiceSchema<ServiceSettingSchema, OrchestratorThis> {
  const consumer = options.consumer ?? consumerOf(SAGA_REPLIES_TOPIC, "orchestrator");
  const topics = options.topics ?? PURCHASE_SAGA_TOPICS;
  const settings = readOrchestratorSettings();
  // Every version that may have live instances; new purchases take the newest.
  const definitions = PURCHASE_SAGA_VERSIONS.map((version) => buildPurchaseSaga(settings.policy, topics, options.sagaType, version));
  const sagaType = definitions[0]!.name;
  // Each topic's reader, as the channels adapter names consumer groups: the participants' for their commands, ours for the replies.
  const readers = participantGroups(definitions);
  readers.set(topics.sagaReplies, consumerGroupId(consumer, topics.sagaReplies));
  // A batch's replies, of whatever type, share the saga read, the saves, the log and the outbox insert.
  // Channel handlers run with the service as `this`, so each instance applies messages with its own engine.
  async function handleReplies(this: OrchestratorThis, trx: Knex.Transaction, messages: InboundMessage<SagaReply>[], within: InMessageContext[]) {
    await this.engine.handleReplies(
      trx,
      messages.map((message, i) => ({ messageId: message.id, reply: message.payload, within: within[i] })),
    );
  }
  // Each reply is checked against its declaration before the saga sees it: one that does not match is dead-lettered with the reason.
  const replies = new Map(definitions.flatMap((definition) => [...definition.replies]));
  const replyHandlers = Object.fromEntries(
    [...replies].map(([type, declaration]): [string, ServiceMessageHandler<OrchestratorThis>] => [
      type,
      { schema: sagaReplySchema(declaration), handleAll: handleReplies },
    ]),
  );

  /** An operator's event, applied: 404 when there is no such saga, 409 with the engine's reason when it does not apply. */
  const operatorOutcome = (engine: SagaEngine<PurchaseSagaData>, sagaId: string, result: TransitionResult<PurchaseSagaData> | null) => {
    if (!result) throw new MoleculerClientError(`Saga ${sagaId} not found`, 404, "SAGA_NOT_FOUND");
    if (!result.changed) throw new MoleculerClientError(String(result.log[0]?.detail.reason), 409, "SAGA_NOT_PARKED");
    return sagaView(engine.definitionOf(result.state), result.state);
  };

  const schema: ServiceSchema<ServiceSettingSchema, OrchestratorThis> = {
    name: "orchestrator",
    mixins: [DatabaseMixin("orchestrator"), OutboxPlumbingMixin("orchestrator")],

    channels: {
      [topics.purchaseEvents]: idempotentChannel<OrchestratorThis>({
        topic: topics.purchaseEvents,
        consumer,
        handlers: {
          [PurchaseCreated.name]: {
            schema: purchaseCreatedSchema,
            // A batch's purchases share the saga read and one insert per table.
            async handleAll(trx, messages: InboundMessage<PurchaseCreated>[], within) {
              await this.engine.startAll(
                trx,
                messages.map((message, i) => ({ sagaId: message.payload.purchaseId, data: message.payload, within: within[i] })),
              );
            },
          },
          [PurchaseCancelRequested.name]: {
            schema: cancelRequestedSchema,
            async handleAll(trx, messages: InboundMessage<PurchaseCancelRequested>[], within) {
              await this.engine.handleCancels(
                trx,
                messages.map(({ id, payload: { requestedBy, ...purchase } }, i) => ({
                  sagaId: purchase.purchaseId,
                  messageId: id,
                  requestedBy,
                  reason: CANCELLED_BY_CUSTOMER,
                  data: purchase,
                  within: within[i],
                })),
              );
            },
          },
        },
      }),
      [topics.sagaReplies]: idempotentChannel<OrchestratorThis>({
        topic: topics.sagaReplies,
        consumer,
        handlers: replyHandlers,
      }),
    },

    events: {
      // Every service's outbox judgement: an outbox that does not stream holds deadlines back.
      [OUTBOX_FLOW_EVENT](this: OrchestratorThis, ctx: Context<OutboxFlowReport>) {
        this.deliveryProbe.noteOutboxFlow(ctx.params);
      },
    },

    actions: {
      listSagas: {
        params: {
          $$strict: "remove",
          status: { type: "enum", values: SAGA_STATUSES, optional: true },
          id: { type: "uuid", optional: true },
          customerId: { type: "uuid", optional: true },
          changedSince: { type: "date", convert: true, optional: true },
          changedBefore: { type: "date", convert: true, optional: true },
          limit: { type: "number", integer: true, min: 1, max: MAX_SAGAS_LISTED, optional: true, convert: true },
          offset: { type: "number", integer: true, min: 0, optional: true, convert: true },
        },
        async handler(this: OrchestratorThis, ctx: Context<SagaListParams>) {
          const { customerId, ...query } = ctx.params;
          const sagas = await this.store.list({ ...query, ...(customerId ? { dataEquals: { customerId } } : {}), sagaType });
          return sagas.map((saga) => storedSagaView(this.engine.definitionOf(saga.state), saga));
        },
      },
      /** How many sagas are in each status: the unfinished ones all, the ended ones of the last ENDED_SAGAS_COUNTED_FOR_MS. */
      countSagas: {
        visibility: "public",
        async handler(this: OrchestratorThis): Promise<SagaCountsView> {
          const endedSince = new Date(Date.now() - ENDED_SAGAS_COUNTED_FOR_MS);
          return { byStatus: await this.store.countByStatus(sagaType, endedSince), endedSince: endedSince.toISOString() };
        },
      },
      showSaga: {
        params: sagaIdParams,
        async handler(this: OrchestratorThis, ctx: Context<{ id: string }>) {
          const found = await this.store.show(ctx.params.id);
          if (!found) throw new MoleculerClientError(`Saga ${ctx.params.id} not found`, 404, "SAGA_NOT_FOUND");
          return sagaWithLogView(this.engine.definitionOf(found.saga.state), found);
        },
      },
      retrySaga: {
        params: sagaIdParams,
        async handler(this: OrchestratorThis, ctx: Context<{ id: string }, AuthenticatedMeta>) {
          const operator = operatorOf(ctx);
          const outcome = operatorOutcome(this.engine, ctx.params.id, await this.engine.retry(ctx.params.id, operator));
          this.logger.info(`saga ${ctx.params.id} retried by ${operator}`);
          return outcome;
        },
      },
      abortSaga: {
        params: { ...sagaIdParams, reason: { type: "string", trim: true, min: 1, max: 500 } },
        async handler(this: OrchestratorThis, ctx: Context<{ id: string; reason: string }, AuthenticatedMeta>) {
          const operator = operatorOf(ctx);
          const outcome = operatorOutcome(this.engine, ctx.params.id, await this.engine.abort(ctx.params.id, ctx.params.reason, operator));
          this.logger.info(`saga ${ctx.params.id} aborted by ${operator}: ${ctx.params.reason}`);
          return outcome;
        },
      },
    },

    created(this: OrchestratorThis) {
      registerShopMetrics(this.broker.metrics, SAGA_METRICS);
      const outbox = new OutboxWriter();
      this.store = new SagaStore(this.db);
      this.deliveryProbe = new KafkaDeliveryProbe({
        kafka: kafkaConnection(),
        readers,
        connectUrl: readBrokerSettings().connectUrl,
        horizonMs: settings.maxPostponeMs,
        onLag: (topic, group, messages) => this.broker.metrics.set(SHOP_METRICS.consumerLag.name, messages, { topic, group }),
      });
      // One wait for the progress notes' listener, shared by every note that finds none (not a poller per commit).
      let listenerWait: Promise<unknown> | undefined;
      const listenerFound = () =>
        (listenerWait ??= this.broker.waitForServices(PURCHASE_PROGRESSED_LISTENER, LISTENER_WAIT_MS).finally(() => {
          listenerWait = undefined;
        }));
      this.engine = new SagaEngine<PurchaseSagaData>({
        store: this.store,
        definitions,
        outbox,
        // Every path that moves a saga (replies, the sweeper, operators) tells the client and the metrics, once committed.
        onCommitted: (transitions) => {
          recordSagaObservations(
            this.broker.metrics,
            definitions.flatMap((definition) => sagaObservations(definition, transitions)),
          );
          const notes = definitions.flatMap((definition) => progressNotes(definition, transitions));
          if (notes.length === 0) return;
          const progressed: PurchaseProgressed = { notes };
          const untold = (error: unknown) =>
            this.logger.warn(`progress of ${notes.length} purchase(s) not told (their next step or end will be):`, (error as Error).message);
          const tell = () => this.broker.emit(PURCHASE_PROGRESSED_EVENT, progressed).catch(untold);
          // Moleculer drops an event no known node listens to. Just after a start, before this node has discovered the
          // purchase service, that was a whole first saga's story; so the note waits for a listener, a bounded while.
          // Order does not matter: the purchase service ignores a note older than what it has.
          if (this.broker.hasEventListener(PURCHASE_PROGRESSED_EVENT)) void tell();
          else listenerFound().then(tell, untold);
        },
        // Queueing is not failure: a deadline waits until the participant has read its queue that far.
        postponement: { probe: this.deliveryProbe, maxPostponeMs: settings.maxPostponeMs, probeIdleEveryMs: settings.probeIdleEveryMs },
      });
      this.sweeper = new DeadlineSweeper(this.engine, settings.sweepIntervalMs, this.logger);
      this.retention = new PeriodicWork(
        readBrokerSettings().pruneIntervalMs,
        async () => {
          const pruned = await this.store.pruneEnded(new Date(Date.now() - settings.retentionDays * DAY_MS), RETENTION_BATCH);
          if (pruned > 0) this.logger.info(`removed ${pruned} saga(s) that ended over ${settings.retentionDays} days ago, with their logs`);
        },
        (error) => this.logger.warn(`saga retention failed (retried next interval): ${(error as Error).message}`),
      );
    },
    started(this: OrchestratorThis) {
      this.sweeper.start();
      this.retention.start(FIRST_PRUNE_AFTER_MS);
    },
    async stopped(this: OrchestratorThis) {
      await Promise.all([this.sweeper.stop(), this.retention.stop()]);
      await this.deliveryProbe.stop();
    },
  };
  return schema;
}

export default createOrchestratorService();
