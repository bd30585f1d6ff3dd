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

  /** Statements the store would have run, by kind: one per call, however many sagas it takes. */
  statements = { loadMany: 0, createMany: 0, saveMany: 0, appendLog: 0 };

  async loadMany(_trx: Knex.Transaction, ids: readonly string[]): Promise<Map<string, StoredSaga>> {
    this.statements.loadMany += 1;
    const found = new Map<string, StoredSaga>();
    for (const id of ids) {
      const saga = this.sagas.get(id);
      if (saga) found.set(id, structuredClone(saga));
      this.afterLoad(id);
    }
    return found;
  }

  async createMany(_trx: Knex.Transaction, sagas: readonly StoredSaga[]): Promise<void> {
    this.statements.createMany += 1;
    const taken = sagas.find(({ state }) => this.sagas.has(state.id));
    if (taken) throw new ConcurrentModificationError(taken.state.id, "already exists");
    for (const saga of sagas) this.sagas.set(saga.state.id, { ...structuredClone(saga), createdAt: new Date(0), updatedAt: new Date(0) });
  }

  async saveMany(_trx: Knex.Transaction, saves: readonly { saga: StoredSaga; versionRead: number }[]): Promise<void> {
    this.statements.saveMany += 1;
    const stale = saves.find(({ saga, versionRead }) => this.sagas.get(saga.state.id)?.version !== versionRead);
    if (stale) throw new ConcurrentModificationError(stale.saga.state.id, `is no longer at version ${stale.versionRead}`);
    for (const { saga } of saves)
      this.sagas.set(saga.state.id, { ...this.sagas.get(saga.state.id)!, state: structuredClone(saga.state), version: saga.version });
  }

  async appendLog(_trx: Knex.Transaction, entries: readonly LogEntry[]): Promise<void> {
    this.statements.appendLog += 1;
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
