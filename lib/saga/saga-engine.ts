import type { Knex } from "knex";
import type { SagaDefinition } from "./definition";
import type { SagaReply } from "./messages";
import type { SagaStore, StoredSaga } from "./saga-store";
import type { OutgoingMessage, SagaState } from "./state";
import { transition, type SagaEvent, type TransitionResult } from "./transitions";

/** What the engine needs from storage; SagaStore is the real one. */
export type SagaRepository = Pick<SagaStore, "transaction" | "load" | "create" | "save" | "appendLog" | "findOverdue">;

/** Any message bound for the outbox: the engine's commands and results, and what the host adds. */
export type OutboxBound = Omit<OutgoingMessage, "payload"> & { payload: unknown };

/** Writes a transition's messages to the transactional outbox inside `trx` (one batch per transition). */
export type SendMessages = (trx: Knex.Transaction, messages: OutboxBound[]) => Promise<void>;

/**
 * Messages the host adds to a transition that changed a saga (`before` is null
 * when it was just created); they go out in the same outbox batch.
 */
export type TransitionMessages<Data> = (before: SagaState<Data> | null, result: TransitionResult<Data>) => OutboxBound[];

export interface SagaEngineOptions<Data> {
  store: SagaRepository;
  /** Every version of ONE saga type that may still have live instances; new sagas use the highest. */
  definitions: readonly SagaDefinition<Data>[];
  send: SendMessages;
  /** For what the host tells others about each transition, such as progress notes for clients. */
  alsoSend?: TransitionMessages<Data>;
  clock?: () => Date;
}

export interface SweepReport {
  /** Sagas whose deadline event was applied (including ones it left unchanged). */
  swept: string[];
  /** Sagas whose sweep threw; rolled back and passed over until the next sweep. */
  failed: { sagaId: string; error: unknown }[];
}

/**
 * Runs sagas of one type: each event is load → transition → versioned save →
 * log → outbox, all in one transaction, so a crash anywhere leaves either all
 * of it or none. Knows nothing of Kafka or Moleculer: `send` is the outbox.
 */
export class SagaEngine<Data> {
  readonly sagaType: string;
  private readonly latest: SagaDefinition<Data>;
  private readonly byVersion = new Map<number, SagaDefinition<Data>>();
  private readonly store: SagaRepository;
  private readonly send: SendMessages;
  private readonly alsoSend?: TransitionMessages<Data>;
  private readonly clock: () => Date;

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
    this.send = options.send;
    this.alsoSend = options.alsoSend;
    this.clock = options.clock ?? (() => new Date());
  }

  /** Starts a saga with the newest definition. Starting an id that exists changes nothing but the log. */
  async start(trx: Knex.Transaction, sagaId: string, data: Data): Promise<TransitionResult<Data>> {
    const event: SagaEvent<Data> = { type: "Start", sagaId, data, now: this.clock() };
    const existing = await this.loadOwn(trx, sagaId);
    if (existing) return this.apply(trx, existing, event);
    const result = transition(this.latest, null, event);
    await this.store.create(trx, result.state);
    await this.record(trx, null, result);
    return result;
  }

  /**
   * Applies a participant's reply inside the caller's transaction (where the
   * caller also records the message in its inbox). Null when the reply is for
   * a saga this engine does not run.
   */
  async handleReply(trx: Knex.Transaction, messageId: string, reply: SagaReply): Promise<TransitionResult<Data> | null> {
    if (reply.correlation.sagaType !== this.sagaType) return null;
    const saga = await this.loadOwn(trx, reply.correlation.sagaId);
    return saga && this.apply(trx, saga, { type: "Reply", messageId, reply, now: this.clock() });
  }

  /**
   * Applies StepDeadlinePassed to overdue sagas, each in its own transaction
   * holding that saga's row lock, until none is left or `maxSagas` were tried.
   */
  async sweepOverdue(now: Date, maxSagas = 100): Promise<SweepReport> {
    const report: SweepReport = { swept: [], failed: [] };
    while (report.swept.length + report.failed.length < maxSagas) {
      const excluding = report.failed.map((f) => f.sagaId);
      const claim: { sagaId?: string } = {};
      try {
        await this.store.transaction(async (trx) => {
          const [saga] = await this.store.findOverdue(trx, { now, limit: 1, sagaType: this.sagaType, excluding });
          if (!saga) return;
          claim.sagaId = saga.state.id;
          await this.apply(trx, saga, { type: "StepDeadlinePassed", now });
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

  /** Operator: one more try at a parked saga's compensation. Null if there is no such saga. */
  retry(sagaId: string): Promise<TransitionResult<Data> | null> {
    return this.operate(sagaId, { type: "OperatorRetry", now: this.clock() });
  }

  /** Operator: gives up on a parked saga, which ends FAILED with this reason. Null if there is no such saga. */
  abort(sagaId: string, reason: string): Promise<TransitionResult<Data> | null> {
    return this.operate(sagaId, { type: "OperatorAbort", reason, now: this.clock() });
  }

  private operate(sagaId: string, event: SagaEvent<Data>): Promise<TransitionResult<Data> | null> {
    return this.store.transaction(async (trx) => {
      const saga = await this.loadOwn(trx, sagaId);
      return saga && this.apply(trx, saga, event);
    });
  }

  private async loadOwn(trx: Knex.Transaction, sagaId: string): Promise<StoredSaga | null> {
    const saga = await this.store.load(trx, sagaId);
    return saga?.state.sagaType === this.sagaType ? saga : null;
  }

  private async apply(trx: Knex.Transaction, saga: StoredSaga, event: SagaEvent<Data>): Promise<TransitionResult<Data>> {
    const { definitionVersion, id } = saga.state;
    const definition = this.byVersion.get(definitionVersion);
    if (!definition) throw new Error(`Saga ${id} needs ${this.sagaType} v${definitionVersion}, which is not loaded`);
    // The stored data was written by this saga type's own transitions, so it has this type's shape.
    const result = transition(definition, saga.state as SagaState<Data>, event);
    if (result.changed) await this.store.save(trx, result.state, saga.version);
    await this.record(trx, saga.state as SagaState<Data>, result);
    return result;
  }

  private async record(trx: Knex.Transaction, before: SagaState<Data> | null, result: TransitionResult<Data>): Promise<void> {
    await this.store.appendLog(trx, result.log);
    const messages: OutboxBound[] = result.changed && this.alsoSend ? [...result.messages, ...this.alsoSend(before, result)] : result.messages;
    if (messages.length > 0) await this.send(trx, messages);
  }
}
