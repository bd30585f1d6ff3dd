/**
 * Progress notes: what the client's event stream shows between a purchase's
 * start and its end. They leave after the commit that moved the sagas, as one
 * Moleculer event per transaction, not through the outbox: four Kafka hops
 * per saga fewer, and a lost note is made good by the next one or by the
 * saga's result, which does go through the outbox.
 */
import type { PurchaseProgressNote } from "../../contracts/purchase-progress";
import { currentStepName, isPastPivot, type SagaDefinition } from "../../lib/saga/definition";
import type { CommittedTransition } from "../../lib/saga/saga-engine";
import { isFinal } from "../../lib/saga/state";

/**
 * The notes for a transaction's transitions of sagas of this definition's
 * version; moves the client has nothing new to see in are left out.
 */
export function progressNotes<Data>(definition: SagaDefinition<Data>, transitions: readonly CommittedTransition<unknown>[]): PurchaseProgressNote[] {
  return transitions.flatMap(({ before, after, version }) => {
    if (after.definitionVersion !== definition.version || isFinal(after.status)) return [];
    // A re-send, or one reply of a parallel group in, changes neither status nor step: the client has seen that step already.
    if (before && before.status === after.status && before.currentStep === after.currentStep) return [];
    const step = currentStepName(definition, after);
    if (!step) throw new Error(`${definition.name} v${definition.version} has no step ${after.currentStep}`);
    // The payment is the purchase saga's pivot.
    return [{ purchaseId: after.id, status: after.status, step, paymentTaken: isPastPivot(definition, after.currentStep), sagaVersion: version }];
  });
}
