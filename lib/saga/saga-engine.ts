import type { Knex } from "knex";
import { groupMembers, type SagaDefinition } from "./definition";
import type { SagaReply } from "./messages";
import type { PostponedSteps, SagaStore, StoredSaga } from "./saga-store";
import type { LogEntry, OutgoingMessage, SagaState } from "./state";
import { transition, type SagaEvent, type TransitionResult } from "./transitions";
import type { InMessageContext } from "../telemetry/message-trace";

/** What the engine needs from storage; SagaStore is the real one. */
export type SagaRepository = Pick<SagaStore, "transaction" | "loadMany" | "createMany" | "saveMany" | "appendLog" | "findOverdue" | "anyOverdue">;

/**
 * The transactional outbox, in two steps: `rows` as each transition is made,
 * in its caller's context (so what a row takes from it, a trace id, is that
 * transition's), and `insert` once for every transition of a batch.
 */
export interface SagaOutbox<Row = unknown> {
  rows(messages: OutgoingMessage[]): Row[];
  insert(trx: Knex.Transaction, rows: Row[]): Promise<void>;
}

export interface ReplyToApply {
  messageId: string;
  reply: SagaReply;
  within?: InMessageContext;
}

export interface SagaToStart<Data> {
  sagaId: string;
  data: Data;
  within?: InMessageContext;
}

export interface CancelToApply<Data> {
  sagaId: string;
  messageId: string;
  /** Who asked: the log keeps it. */
  requestedBy: string;
  /** The failure reason of a saga the cancel stops. */
  reason: string;
  /** The saga's data as its start carries it, for a cancel that arrives first. */
  data: Data;
  within?: InMessageContext;
}

/** A transition that changed a saga, as it was committed. */
export interface CommittedTransition<Data> {
  /** Null when the saga was just created. */
  before: SagaState<Data> | null;
  after: SagaState<Data>;
  /** The saga's stored version after it: later transitions of one saga have higher ones. */
  version: number;
  /** What the transition wrote to the saga log. */
  log: LogEntry[];
}

/**
 * Told, once a transaction has committed, every transition it made that
 * changed a saga, in order. Nothing here is in the outbox: a crash after the
 * commit loses the call, so it suits only what a later transition or the
 * saga's result would correct (progress shown to a client). It must not throw.
 */
export type CommittedTransitions<Data> = (transitions: CommittedTransition<Data>[]) => void;

/**
 * How far each topic's consumers have read: for each topic, a time before
 * which every message on it has been read (now when they are caught up). A
 * command sent after that time may be queued, not lost, and re-sending it
 * would only lengthen the queue. A topic left out is taken as read through
 * now; a probe that cannot tell (broker or pipeline down) answers the last
 * time it could.
 */
export interface DeliveryProbe {
  readThrough(topics: readonly string[], now: Date): Promise<ReadonlyMap<string, Date>>;
  /**
   * How long lately the plumbing (broker, outboxes) could not carry messages,
   * Infinity while it cannot: the cap on postponement waits that much longer,
   * so an outage uses up no step's budget. Asked after readThrough.
   */
  plumbingPausedMs?(): number;
}

export interface DeadlinePostponement {
  probe: DeliveryProbe;
  /** A deadline this far in the past is applied whatever the queues say, so a participant gone for good is not waited on forever. */
  maxPostponeMs: number;
  /**
   * The probe is asked every sweep while a deadline is due, and otherwise
   * only this often: an idle engine makes no calls to the broker, while the
   * probe's samples (and the lag it reports) stay this fresh.
   */
  probeIdleEveryMs: number;
}

export interface SagaEngineOptions<Data> {
  store: SagaRepository;
  /** Every version of ONE saga type that may still have live instances; new sagas use the highest. */
  definitions: readonly SagaDefinition<Data>[];
  outbox: SagaOutbox;
  /** For what the host tells others, best effort, after each commit that moved sagas (progress for clients). */
  onCommitted?: CommittedTransitions<Data>;
  clock?: () => Date;
  /** Queueing is not failure: without this, every passed deadline is applied at once. */
  postponement?: DeadlinePostponement;
}

export interface SweepReport {
  /** Sagas whose deadline event was applied (including ones it left unchanged). */
  swept: string[];
  /** Sagas whose sweep threw; rolled back and passed over until the next sweep. */
  failed: { sagaId: string; error: unknown }[];
  /** Topics not yet read through the sweep's time: deadlines of their steps may have been held back. Null when no deadline was due and the queues were not looked at. */
  postponedFor: string[] | null;
}

/**
 * Runs sagas of one type: each event is load → transition → versioned save →
 * log → outbox, all in one transaction, so a crash anywhere leaves either all
 * of it or none. Events that arrive together (a consumer's batch) share the
 * statements: one read of their sagas, one write each of the new sagas, the
 * changed ones (version-checked), the log and the outbox rows. Knows nothing
 * of Kafka or Moleculer.
 */
export class SagaEngine<Data> {
  readonly sagaType: string;
  private readonly latest: SagaDefinition<Data>;
  private readonly byVersion = new Map<number, SagaDefinition<Data>>();
  private readonly store: SagaRepository;
  private readonly outbox: SagaOutbox;
  private readonly onCommitted?: CommittedTransitions<Data>;
  /** Transitions made in each open transaction, for onCommitted. */
  private readonly uncommitted = new WeakMap<Knex.Transaction, CommittedTransition<Data>[]>();
  private readonly clock: () => Date;
  private readonly postponement?: DeadlinePostponement;
  /** When the sweep last asked the probe. */
  private probedAt = -Infinity;

  constructor(options: SagaEngineOptions<Data>) {
    const [first, ...rest] = [...options.definitions].sort((a, b) => b.version - a.version);
    if (!first) throw new Error("SagaEngine needs at least one saga definition");
    for (const definition of [first, ...rest]) {
      if (definition.name !== first.name) throw new Error(`SagaEngine runs one saga type; got ${first.name} and ${definition.name}`);
      if (this.byVersion.has(definition.version)) throw new Error(`${definition.name} v${definition.version} is given twice`);
      this.byVersion.set(definition.version, definition);
    }
    this.sagaType = first.name;
    this.latest = first;
    this.store = options.store;
    this.outbox = options.outbox;
    this.onCommitted = options.onCommitted;
    this.clock = options.clock ?? (() => new Date());
    this.postponement = options.postponement;
  }

  /** Starts a saga with the newest definition. Starting an id that exists changes nothing but the log. */
  async start(trx: Knex.Transaction, sagaId: string, data: Data): Promise<TransitionResult<Data>> {
    const [result] = await this.startAll(trx, [{ sagaId, data }]);
    return result!;
  }

  /** Starts several sagas in the caller's transaction, in order, in one statement per table. */
  async startAll(trx: Knex.Transaction, starts: readonly SagaToStart<Data>[]): Promise<TransitionResult<Data>[]> {
    const batch = await this.batchOf(
      trx,
      starts.map((s) => s.sagaId),
    );
    const results = starts.map(({ sagaId, data, within }) => {
      const event: SagaEvent<Data> = { type: "Start", sagaId, data, now: this.clock() };
      const existing = batch.sagaOf(sagaId);
      if (existing) return batch.apply(existing, event, within);
      return batch.create(transition(this.latest, null, event), within);
    });
    await batch.write(trx);
    return results;
  }

  /**
   * Applies a participant's reply inside the caller's transaction (where the
   * caller also records the message in its inbox). Null when the reply is for
   * a saga this engine does not run.
   */
  async handleReply(trx: Knex.Transaction, messageId: string, reply: SagaReply): Promise<TransitionResult<Data> | null> {
    const [result] = await this.handleReplies(trx, [{ messageId, reply }]);
    return result ?? null;
  }

  /** Applies several replies in order inside the caller's transaction, in one statement per table. */
  async handleReplies(trx: Knex.Transaction, replies: readonly ReplyToApply[]): Promise<(TransitionResult<Data> | null)[]> {
    const own = (reply: SagaReply) => reply.correlation.sagaType === this.sagaType;
    const batch = await this.batchOf(
      trx,
      replies.filter((r) => own(r.reply)).map((r) => r.reply.correlation.sagaId),
    );
    const results = replies.map(({ messageId, reply, within }) => {
      const saga = own(reply) ? batch.sagaOf(reply.correlation.sagaId) : null;
      return saga && batch.apply(saga, { type: "Reply", messageId, reply, now: this.clock() }, within);
    });
    await batch.write(trx);
    return results;
  }

  /**
   * Applies cancel requests in order inside the caller's transaction, in one
   * statement per table. A saga's start comes before its cancel on the same
   * partition; one that never came (lost, to be re-sent) is ended here, so
   * the start that follows finds the saga over.
   */
  async handleCancels(trx: Knex.Transaction, cancels: readonly CancelToApply<Data>[]): Promise<TransitionResult<Data>[]> {
    const batch = await this.batchOf(
      trx,
      cancels.map((c) => c.sagaId),
    );
    const results = cancels.map(({ within, ...cancel }) => {
      const event: SagaEvent<Data> = { type: "CancelRequested", ...cancel, now: this.clock() };
      const saga = batch.sagaOf(cancel.sagaId);
      return saga ? batch.apply(saga, event, within) : batch.create(transition(this.latest, null, event), within);
    });
    await batch.write(trx);
    return results;
  }

  /**
   * Applies StepDeadlinePassed to overdue sagas, each in its own transaction
   * holding that saga's row lock, until none is left or `maxSagas` were tried.
   */
  async sweepOverdue(now: Date, maxSagas = 100): Promise<SweepReport> {
    const due = await this.store.anyOverdue(now, this.sagaType);
    if (!due && now.getTime() - this.probedAt < (this.postponement?.probeIdleEveryMs ?? Infinity)) return { swept: [], failed: [], postponedFor: null };
    const { postponedFor, postponed } = await this.dueSteps(now);
    const report: SweepReport = { swept: [], failed: [], postponedFor };
    if (!due) return report;
    while (report.swept.length + report.failed.length < maxSagas) {
      const excluding = report.failed.map((f) => f.sagaId);
      const claim: { sagaId?: string } = {};
      try {
        await this.store.transaction(async (trx) => {
          const [saga] = await this.store.findOverdue(trx, { now, limit: 1, sagaType: this.sagaType, excluding, postponed });
          if (!saga) return;
          claim.sagaId = saga.state.id;
          const batch = this.batchOfLoaded(new Map([[saga.state.id, saga]]));
          batch.apply(saga, { type: "StepDeadlinePassed", now });
          await batch.write(trx);
        });
      } catch (error) {
        if (claim.sagaId === undefined) throw error; // the claim itself failed: nothing to pass over
        report.failed.push({ sagaId: claim.sagaId, error });
        continue;
      }
      if (claim.sagaId === undefined) break;
      report.swept.push(claim.sagaId);
    }
    return report;
  }

  /**
   * Which deadlines may be applied this sweep: a step's deadline counts once
   * its participant has read its commands through that time, and we our
   * replies; until then the command is queued, not lost.
   */
  private async dueSteps(now: Date): Promise<{ postponedFor: string[]; postponed?: PostponedSteps }> {
    if (!this.postponement) return { postponedFor: [] };
    this.probedAt = now.getTime();
    const definitions = [...this.byVersion.values()];
    const topics = [...new Set(definitions.flatMap((d) => [d.replyTopic, ...d.steps.map((s) => s.topic)]))];
    const readThrough = await this.postponement.probe.readThrough(topics, now);
    const through = (topic: string) => Math.min(now.getTime(), readThrough.get(topic)?.getTime() ?? Infinity);
    const postponedFor = topics.filter((topic) => through(topic) < now.getTime());
    if (postponedFor.length === 0) return { postponedFor };
    // A saga at the first step of a parallel group may await any step of it: each of their queues counts.
    const topicsAt = (d: SagaDefinition<Data>, index: number) =>
      (d.steps[index]!.group === index ? groupMembers(d, index) : [index]).map((i) => d.steps[i]!.topic);
    const steps = definitions.flatMap((d) =>
      d.steps.map((_, index) => ({
        definitionVersion: d.version,
        step: index,
        dueBy: new Date(Math.min(...topicsAt(d, index).map(through), through(d.replyTopic))),
      })),
    );
    const paused = this.postponement.probe.plumbingPausedMs?.() ?? 0;
    // While the plumbing is down nothing is forced: the epoch stands for "no deadline is that old".
    const unlessDueBefore = Number.isFinite(paused) ? new Date(now.getTime() - this.postponement.maxPostponeMs - paused) : new Date(0);
    return { postponedFor, postponed: { steps, unlessDueBefore } };
  }

  /** The definition a saga runs: the version it started on. */
  definitionOf(saga: Pick<SagaState<unknown>, "id" | "definitionVersion">): SagaDefinition<Data> {
    const definition = this.byVersion.get(saga.definitionVersion);
    if (!definition) throw new Error(`Saga ${saga.id} needs ${this.sagaType} v${saga.definitionVersion}, which is not loaded`);
    return definition;
  }

  /** Operator: one more try at a parked saga's compensation or retriable step. Null if there is no such saga. */
  retry(sagaId: string, operator: string): Promise<TransitionResult<Data> | null> {
    return this.operate(sagaId, { type: "OperatorRetry", operator, now: this.clock() });
  }

  /** Operator: gives up on a parked saga, which ends FAILED with this reason. Null if there is no such saga. */
  abort(sagaId: string, reason: string, operator: string): Promise<TransitionResult<Data> | null> {
    return this.operate(sagaId, { type: "OperatorAbort", reason, operator, now: this.clock() });
  }

  private operate(sagaId: string, event: SagaEvent<Data>): Promise<TransitionResult<Data> | null> {
    return this.store.transaction(async (trx) => {
      const batch = await this.batchOf(trx, [sagaId]);
      const saga = batch.sagaOf(sagaId);
      const result = saga && batch.apply(saga, event);
      await batch.write(trx);
      return result;
    });
  }

  /** A batch over these sagas as stored (one read); sagas of other types are left out. */
  private async batchOf(trx: Knex.Transaction, sagaIds: readonly string[]): Promise<TransitionBatch<Data>> {
    const ids = [...new Set(sagaIds)];
    return this.batchOfLoaded(ids.length > 0 ? await this.store.loadMany(trx, ids) : new Map());
  }

  private batchOfLoaded(loaded: ReadonlyMap<string, StoredSaga>): TransitionBatch<Data> {
    const own = new Map([...loaded].filter(([, saga]) => saga.state.sagaType === this.sagaType));
    return new TransitionBatch<Data>(
      own,
      (saga) => this.definitionOf(saga),
      this.store,
      this.outbox,
      (trx, committed) => this.tellOnCommit(trx, committed),
    );
  }

  /** Gathers the transaction's transitions; the first one arranges the one call after its commit (none after a rollback). */
  private tellOnCommit(trx: Knex.Transaction, committed: CommittedTransition<Data>): void {
    const onCommitted = this.onCommitted;
    if (!onCommitted) return;
    const gathered = this.uncommitted.get(trx);
    if (gathered) {
      gathered.push(committed);
      return;
    }
    const transitions = [committed];
    this.uncommitted.set(trx, transitions);
    // knex settles a transaction's executionPromise once COMMIT (or ROLLBACK) has answered; the engine is handed top-level transactions.
    trx.executionPromise.then(
      () => onCommitted(transitions),
      () => undefined,
    );
  }
}

/**
 * Transitions made together in one transaction: each event applies to the
 * saga as the batch's earlier events left it (one saga may get several), and
 * `write` stores them all in one statement per table, new sagas first (the
 * log refers to them). A changed saga is saved only if its row is still at
 * the version read, so a concurrent writer makes the whole batch fail.
 */
class TransitionBatch<Data> {
  /** Each saga as the batch has it now, with the version its row had when read (null: created here). */
  private readonly sagas = new Map<string, { saga: StoredSaga; versionRead: number | null; changed: boolean }>();
  private readonly log: LogEntry[] = [];
  private readonly rows: unknown[] = [];
  private readonly committed: CommittedTransition<Data>[] = [];

  constructor(
    loaded: ReadonlyMap<string, StoredSaga>,
    private readonly definitionOf: (saga: SagaState<unknown>) => SagaDefinition<Data>,
    private readonly store: SagaRepository,
    private readonly outbox: SagaOutbox,
    private readonly tellOnCommit: (trx: Knex.Transaction, committed: CommittedTransition<Data>) => void,
  ) {
    for (const [id, saga] of loaded) this.sagas.set(id, { saga, versionRead: saga.version, changed: false });
  }

  sagaOf(sagaId: string): StoredSaga | null {
    return this.sagas.get(sagaId)?.saga ?? null;
  }

  create(result: TransitionResult<Data>, within?: InMessageContext): TransitionResult<Data> {
    const now = new Date();
    const saga: StoredSaga = { state: result.state, version: 1, createdAt: now, updatedAt: now };
    this.sagas.set(result.state.id, { saga, versionRead: null, changed: true });
    this.committed.push({ before: null, after: result.state, version: 1, log: result.log });
    this.record(result, within);
    return result;
  }

  apply(saga: StoredSaga, event: SagaEvent<Data>, within?: InMessageContext): TransitionResult<Data> {
    const { id } = saga.state;
    const definition = this.definitionOf(saga.state);
    // The stored data was written by this saga type's own transitions, so it has this type's shape.
    const before = saga.state as SagaState<Data>;
    const result = transition(definition, before, event);
    const entry = this.sagas.get(id);
    if (result.changed && entry) {
      entry.saga = { ...saga, state: result.state, version: saga.version + 1 };
      entry.changed = true;
      this.committed.push({ before, after: result.state, version: entry.saga.version, log: result.log });
    }
    this.record(result, within);
    return result;
  }

  async write(trx: Knex.Transaction): Promise<void> {
    const changed = [...this.sagas.values()].filter((s) => s.changed);
    const created = changed.filter((s) => s.versionRead === null).map((s) => s.saga);
    const saved = changed.flatMap((s) => (s.versionRead === null ? [] : [{ saga: s.saga, versionRead: s.versionRead }]));
    if (created.length > 0) await this.store.createMany(trx, created);
    if (saved.length > 0) await this.store.saveMany(trx, saved);
    if (this.log.length > 0) await this.store.appendLog(trx, this.log);
    if (this.rows.length > 0) await this.outbox.insert(trx, this.rows);
    for (const committed of this.committed) this.tellOnCommit(trx, committed);
  }

  private record(result: TransitionResult<Data>, within?: InMessageContext): void {
    this.log.push(...result.log);
    if (result.messages.length === 0) return;
    this.rows.push(...(within ? within(() => this.outbox.rows(result.messages)) : this.outbox.rows(result.messages)));
  }
}
