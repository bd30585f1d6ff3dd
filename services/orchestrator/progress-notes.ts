/**
 * Progress notes: a PurchaseStepChanged on the result topic each time a saga
 * moves to another status or step, written in the very transaction that moved
 * it, so the client's event stream shows every step. The end itself is the
 * engine's SagaResult, on the same topic and key, hence in order after them.
 */
import { PURCHASE_EVENT_TYPES, type PurchaseStepChanged } from "../../contracts/purchase-saga";
import type { OutboxMessage } from "../../lib/outbox/outbox-writer";
import type { SagaDefinition } from "../../lib/saga/definition";
import { derivedMessageId } from "../../lib/saga/message-id";
import type { SagaState } from "../../lib/saga/state";

export type ProgressNote = Required<OutboxMessage<typeof PURCHASE_EVENT_TYPES.PurchaseStepChanged, PurchaseStepChanged>>;

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
    // Named after what it reports: a transition replayed after a rollback yields the same note, deduplicated downstream.
    id: derivedMessageId(`${definition.name}/${after.id}/progress/${after.status}/${after.currentStep}/${after.attempt}`),
    topic: definition.resultTopic,
    key: after.id,
    type: PURCHASE_EVENT_TYPES.PurchaseStepChanged,
    payload: { purchaseId: after.id, status: after.status, step: step.name, at: at.toISOString() },
  };
}
