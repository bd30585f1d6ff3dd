/** When the client hears about a saga's progress: a new status or step, never a mere re-send, never the end. */
import type { SagaState } from "../../../lib/saga/state";
import { progressNotes } from "../../../services/orchestrator/progress-notes";
import { PURCHASE_SAGA_TOPICS, PURCHASE_SAGA_TYPE, buildPurchaseSaga } from "../../../services/orchestrator/purchase-saga";

const budget = { ms: 1_000, maxAttempts: 3, backoffMs: 0 };
const policy = { step: budget, retriable: budget, compensation: budget };
const saga = buildPurchaseSaga(policy, PURCHASE_SAGA_TOPICS, PURCHASE_SAGA_TYPE, 1);
const ID = "3f0c2a9e-8b7d-4c6e-9f10-1a2b3c4d5e6f";

function state(changes: Partial<SagaState<unknown>>): SagaState<unknown> {
  return {
    id: ID,
    sagaType: "purchase",
    definitionVersion: 1,
    status: "RUNNING",
    currentStep: 0,
    attempt: 1,
    groupAnswers: [],
    data: {},
    deadlineAt: null,
    failureReason: null,
    ...changes,
  };
}

/** The note for one committed move from `before` to `after`, if any. */
function noteFor(before: SagaState<unknown> | null, after: SagaState<unknown>, version = 2) {
  const notes = progressNotes(saga, [{ before, after, version, log: [] }]);
  expect(notes.length).toBeLessThanOrEqual(1);
  return notes[0] ?? null;
}

describe("progressNotes", () => {
  it("announces a saga that has just started, with the purchase, its step and the saga's version", () => {
    expect(noteFor(null, state({}), 1)).toEqual({ purchaseId: ID, status: "RUNNING", step: "reserve-inventory", paymentTaken: false, sagaVersion: 1 });
  });

  it("says the payment is taken once the saga is past it, parked there too, and not while it is being taken", () => {
    expect(noteFor(state({ currentStep: 1 }), state({ currentStep: 2 }))?.paymentTaken).toBe(false);
    expect(noteFor(state({ currentStep: 2 }), state({ currentStep: 3 }))?.paymentTaken).toBe(true);
    expect(noteFor(state({ currentStep: 3 }), state({ status: "NEEDS_ATTENTION", currentStep: 3 }))?.paymentTaken).toBe(true);
  });

  it("announces each new step and each new status", () => {
    expect(noteFor(state({ currentStep: 0 }), state({ currentStep: 1 }))).toMatchObject({ status: "RUNNING", step: "create-order" });
    expect(noteFor(state({ currentStep: 2 }), state({ status: "COMPENSATING", currentStep: 1 }))).toMatchObject({
      status: "COMPENSATING",
      step: "create-order",
    });
    expect(noteFor(state({ status: "COMPENSATING" }), state({ status: "NEEDS_ATTENTION" }))?.status).toBe("NEEDS_ATTENTION");
  });

  it("stays silent when only the attempt changed: the client has seen that step", () => {
    expect(noteFor(state({ attempt: 1 }), state({ attempt: 2 }))).toBeNull();
  });

  it.each(["COMPLETED", "FAILED"] as const)("leaves the end (%s) to the saga's result", (status) => {
    expect(noteFor(state({ currentStep: 3 }), state({ status, currentStep: 3 }))).toBeNull();
  });

  it("keeps a transaction's moves in their order, each with its own version", () => {
    const notes = progressNotes(saga, [
      { before: null, after: state({}), version: 1, log: [] },
      { before: state({}), after: state({ currentStep: 1 }), version: 2, log: [] },
      { before: state({ currentStep: 1 }), after: state({ currentStep: 1, attempt: 2 }), version: 3, log: [] },
      { before: state({ currentStep: 1, attempt: 2 }), after: state({ currentStep: 2 }), version: 4, log: [] },
    ]);
    expect(notes.map((n) => `${n.step} v${n.sagaVersion}`)).toEqual(["reserve-inventory v1", "create-order v2", "take-payment v4"]);
  });
});

describe("progress notes of version 2 (reservation and order at once)", () => {
  const parallel = buildPurchaseSaga(policy, PURCHASE_SAGA_TOPICS, PURCHASE_SAGA_TYPE, 2);
  const v2 = (changes: Partial<SagaState<unknown>>) => state({ definitionVersion: 2, ...changes });

  it("names the group while it runs, is silent while its replies come in, and names a step compensated on its own", () => {
    const notes = progressNotes(parallel, [
      { before: null, after: v2({}), version: 1, log: [] },
      { before: v2({}), after: v2({ groupAnswers: [{ step: 1, outcome: "succeeded" }] }), version: 2, log: [] },
      { before: v2({}), after: v2({ currentStep: 2 }), version: 3, log: [] },
      { before: v2({ currentStep: 2 }), after: v2({ status: "COMPENSATING", currentStep: 1 }), version: 4, log: [] },
    ]);
    expect(notes.map((n) => `${n.status} ${n.step} v${n.sagaVersion}`)).toEqual([
      "RUNNING reserve-inventory+create-order v1",
      "RUNNING take-payment v3",
      "COMPENSATING create-order v4",
    ]);
  });

  it("leaves sagas of another version to that version's definition", () => {
    expect(progressNotes(parallel, [{ before: null, after: state({}), version: 1, log: [] }])).toEqual([]);
  });
});
