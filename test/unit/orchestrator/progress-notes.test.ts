/** When the client hears about a saga's progress: a new status or step, never a mere re-send, never the end. */
import type { SagaState } from "../../../lib/saga/state";
import { progressNote } from "../../../services/orchestrator/progress-notes";
import { buildPurchaseSaga } from "../../../services/orchestrator/purchase-saga";

const budget = { ms: 1_000, maxAttempts: 3, backoffMs: 0 };
const saga = buildPurchaseSaga({ step: budget, retriable: budget, compensation: budget });
const ID = "3f0c2a9e-8b7d-4c6e-9f10-1a2b3c4d5e6f";
const AT = new Date("2030-01-01T00:00:00.000Z");

function state(changes: Partial<SagaState<unknown>>): SagaState<unknown> {
  return {
    id: ID,
    sagaType: "purchase",
    definitionVersion: 1,
    status: "RUNNING",
    currentStep: 0,
    attempt: 1,
    data: {},
    deadlineAt: null,
    failureReason: null,
    ...changes,
  };
}

describe("progressNote", () => {
  it("announces a saga that has just started, keyed by the purchase, on the result topic", () => {
    expect(progressNote(saga, null, state({}), AT)).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      topic: "purchase.results",
      key: ID,
      type: "PurchaseStepChanged",
      payload: { purchaseId: ID, status: "RUNNING", step: "reserve-inventory", at: "2030-01-01T00:00:00.000Z" },
    });
  });

  it("names a note after what it reports: the same transition gives the same id, another a new one", () => {
    const first = progressNote(saga, null, state({}), AT)!;
    expect(progressNote(saga, null, state({}), new Date(AT.getTime() + 5_000))!.id).toBe(first.id);
    expect(progressNote(saga, state({ currentStep: 0 }), state({ currentStep: 1 }), AT)!.id).not.toBe(first.id);
  });

  it("announces each new step and each new status", () => {
    expect(progressNote(saga, state({ currentStep: 0 }), state({ currentStep: 1 }), AT)?.payload).toMatchObject({ status: "RUNNING", step: "create-order" });
    expect(progressNote(saga, state({ currentStep: 2 }), state({ status: "COMPENSATING", currentStep: 1 }), AT)?.payload).toMatchObject({
      status: "COMPENSATING",
      step: "create-order",
    });
    expect(progressNote(saga, state({ status: "COMPENSATING" }), state({ status: "NEEDS_ATTENTION" }), AT)?.payload.status).toBe("NEEDS_ATTENTION");
  });

  it("stays silent when only the attempt changed: the client has seen that step", () => {
    expect(progressNote(saga, state({ attempt: 1 }), state({ attempt: 2 }), AT)).toBeNull();
  });

  it.each(["COMPLETED", "FAILED"] as const)("leaves the end (%s) to the saga's result", (status) => {
    expect(progressNote(saga, state({ currentStep: 3 }), state({ status, currentStep: 3 }), AT)).toBeNull();
  });
});
