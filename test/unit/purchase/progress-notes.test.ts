/** Which of a batch of progress notes a purchase gets: one statement updates each row once, with its newest note. */

import { PurchaseProgressNote } from "../../../contracts/purchase-progress";
import { newestNotes } from "../../../services/purchase/purchase-store";

const A = "0b7a4c8c-40db-4e1f-8a2b-3c4d5e6f7a8b";
const B = "5e6f7a8b-9c0d-4e1f-9a2b-3c4d5e6f7a8b";
const note = (purchaseId: string, step: string, sagaVersion: number): PurchaseProgressNote => ({
  purchaseId,
  status: "RUNNING",
  step,
  paymentTaken: false,
  sagaVersion,
});

describe("newestNotes", () => {
  it("keeps each purchase's newest note, whatever order the notes came in", () => {
    const notes = [note(A, "create-order", 2), note(B, "reserve-inventory", 1), note(A, "take-payment", 3), note(A, "reserve-inventory", 1)];
    expect(newestNotes(notes)).toEqual([note(A, "take-payment", 3), note(B, "reserve-inventory", 1)]);
  });

  it("leaves a batch of distinct purchases as it is", () => {
    const notes = [note(A, "create-order", 2), note(B, "take-payment", 3)];
    expect(newestNotes(notes)).toEqual(notes);
  });
});
