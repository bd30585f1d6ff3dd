import type { Knex } from "knex";
import type { SagaRepository } from "../../../lib/saga/saga-engine";
import { ConcurrentModificationError, type OverdueQuery, type StoredSaga } from "../../../lib/saga/saga-store";
import { ACTIVE_STATUSES, type LogEntry, type SagaState } from "../../../lib/saga/state";

/** A transaction stand-in whose executionPromise settles, as knex's does, when the test says it committed or rolled back. */
export function fakeTransaction(): { trx: Knex.Transaction; commit: () => void; rollback: (error: unknown) => void } {
  let commit!: () => void;
  let rollback!: (error: unknown) => void;
  const executionPromise = new Promise<void>((resolve, reject) => {
    commit = resolve;
    rollback = reject;
  });
  // Like knex's, a rejection nobody listens to is no failure of the test.
  executionPromise.catch(() => undefined);
  // The engine reads only executionPromise from a transaction; the store ignores it.
  return { trx: { executionPromise } as unknown as Knex.Transaction, commit, rollback };
}

/**
 * Stands in for SagaStore with the same contract: version-checked saves,
 * conflicting creates, and everything undone when a transaction throws.
 */
export class MemorySagaStore implements SagaRepository {
  sagas = new Map<string, StoredSaga>();
  log: LogEntry[] = [];
  transactions = 0;
  /** Runs after each load, so a test can slip in a concurrent writer. */
  afterLoad: (sagaId: string) => void = () => undefined;

  async transaction<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    this.transactions += 1;
    const sagas = new Map(this.sagas);
    const log = [...this.log];
    const { trx, commit, rollback } = fakeTransaction();
    try {
      const result = await work(trx);
      commit();
      return result;
    } catch (error) {
      this.sagas = sagas;
      this.log = log;
      rollback(error);
      throw error;
    }
  }

  async load(_trx: Knex.Transaction, id: string): Promise<StoredSaga | null> {
    const saga = this.sagas.get(id);
    this.afterLoad(id);
    return saga ? structuredClone(saga) : null;
  }

  async create(_trx: Knex.Transaction, state: SagaState<unknown>): Promise<StoredSaga> {
    if (this.sagas.has(state.id)) throw new ConcurrentModificationError(state.id, "already exists");
    const saga: StoredSaga = { state: structuredClone(state), version: 1, createdAt: new Date(0), updatedAt: new Date(0) };
    this.sagas.set(state.id, saga);
    return structuredClone(saga);
  }

  async save(_trx: Knex.Transaction, state: SagaState<unknown>, expectedVersion: number): Promise<StoredSaga> {
    const current = this.sagas.get(state.id);
    if (current?.version !== expectedVersion) throw new ConcurrentModificationError(state.id, `is no longer at version ${expectedVersion}`);
    const saga: StoredSaga = { ...current, state: structuredClone(state), version: expectedVersion + 1 };
    this.sagas.set(state.id, saga);
    return structuredClone(saga);
  }

  async appendLog(_trx: Knex.Transaction, entries: readonly LogEntry[]): Promise<void> {
    this.log.push(...entries);
  }

  async findOverdue(_trx: Knex.Transaction, query: OverdueQuery): Promise<StoredSaga[]> {
    return [...this.sagas.values()]
      .filter(({ state }) => ACTIVE_STATUSES.includes(state.status) && state.deadlineAt !== null && state.deadlineAt <= query.now)
      .filter(({ state }) => !query.sagaType || state.sagaType === query.sagaType)
      .filter(({ state }) => !query.excluding?.includes(state.id))
      .filter(({ state }) => !isPostponed(state, query))
      .sort((a, b) => (a.state.deadlineAt?.getTime() ?? 0) - (b.state.deadlineAt?.getTime() ?? 0))
      .slice(0, query.limit)
      .map((saga) => structuredClone(saga));
  }

  async anyOverdue(now: Date, sagaType: string): Promise<boolean> {
    return [...this.sagas.values()].some(
      ({ state }) => ACTIVE_STATUSES.includes(state.status) && state.deadlineAt !== null && state.deadlineAt <= now && state.sagaType === sagaType,
    );
  }

  stateOf(sagaId: string): SagaState<unknown> & { version: number } {
    const saga = this.sagas.get(sagaId);
    if (!saga) throw new Error(`no saga ${sagaId}`);
    return { ...saga.state, version: saga.version };
  }
}

/** The store's postponement rule: a step's deadline waits until it is due by its queues, or older than the bound. */
function isPostponed(state: SagaState<unknown>, query: OverdueQuery): boolean {
  const postponed = query.postponed;
  if (!postponed || state.deadlineAt === null || state.deadlineAt <= postponed.unlessDueBefore) return false;
  const step = postponed.steps.find((s) => s.definitionVersion === state.definitionVersion && s.step === state.currentStep);
  return !step || state.deadlineAt > step.dueBy;
}
