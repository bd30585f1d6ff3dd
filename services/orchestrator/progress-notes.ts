/**
 * Progress notes: a PurchaseStepChanged on the result topic each time a saga
 * moves to another status or step, written in the very transaction that moved
 * it, so the client's event stream shows every step. The end itself is the
 * engine's SagaResult, on the same topic and key, hence in order after them.
 */
import type { Knex } from "knex";
import type { PurchaseStepChanged } from "../../contracts/purchase-saga";
import type { OutboxMessage, OutboxWriter } from "../../lib/outbox/outbox-writer";
import type { SagaDefinition } from "../../lib/saga/definition";
import { SagaStore, type StoredSaga } from "../../lib/saga/saga-store";
import type { SagaState } from "../../lib/saga/state";

export const PURCHASE_STEP_CHANGED = "PurchaseStepChanged";

export type ProgressNote = OutboxMessage<typeof PURCHASE_STEP_CHANGED, PurchaseStepChanged>;

/** The note for a move from `before` (null: the saga just started) to `after`; null when there is nothing new to tell. */
export function progressNote<Data>(
  definition: SagaDefinition<Data>,
  before: SagaState<unknown> | null,
  after: SagaState<unknown>,
  at: Date,
): ProgressNote | null {
  if (after.status === "COMPLETED" || after.status === "FAILED") return null;
  // A re-send of the same command changes only the attempt: the client has seen that step already.
  if (before && before.status === after.status && before.currentStep === after.currentStep) return null;
  const step = definition.steps[after.currentStep];
  if (!step) throw new Error(`${definition.name} v${definition.version} has no step ${after.currentStep}`);
  return {
    topic: definition.resultTopic,
    key: after.id,
    type: PURCHASE_STEP_CHANGED,
    payload: { purchaseId: after.id, status: after.status, step: step.name, at: at.toISOString() },
  };
}

/**
 * A SagaStore that appends the progress note of every create and save to the
 * outbox in the same transaction. Living in the store means every path that
 * moves a saga (replies, the deadline sweeper, operators) reports progress.
 */
export class ProgressNotingSagaStore<Data> extends SagaStore {
  constructor(
    db: Knex,
    private readonly definition: SagaDefinition<Data>,
    private readonly outbox: OutboxWriter,
  ) {
    super(db);
  }

  override async create(trx: Knex.Transaction, state: SagaState<unknown>): Promise<StoredSaga> {
    const created = await super.create(trx, state);
    await this.note(trx, null, created);
    return created;
  }

  override async save(trx: Knex.Transaction, state: SagaState<unknown>, expectedVersion: number): Promise<StoredSaga> {
    // The engine does not hand down the state it read, so read what is stored before overwriting it.
    const before = await this.load(trx, state.id);
    const saved = await super.save(trx, state, expectedVersion);
    await this.note(trx, before?.state ?? null, saved);
    return saved;
  }

  private async note(trx: Knex.Transaction, before: SagaState<unknown> | null, saved: StoredSaga): Promise<void> {
    const note = progressNote(this.definition, before, saved.state, saved.updatedAt);
    if (note) await this.outbox.append(trx, note);
  }
}
