import { cancelRefusal } from "../../../services/purchase/purchase-decisions";
import type { PurchaseStatus } from "../../../services/purchase/purchase-view";

const ID = "5b0c3a52-8f0e-4f6e-9a51-4d1f6f3c2b10";
const purchase = (status: PurchaseStatus, payment_taken = false) => ({ id: ID, status, payment_taken });

describe("cancelRefusal", () => {
  it.each(["PENDING", "RUNNING"] as const)("lets a cancel of a %s purchase go to the saga while the payment is not taken", (status) => {
    expect(cancelRefusal(purchase(status))).toBeNull();
  });

  it.each(["COMPLETED", "FAILED"] as const)("refuses an ended (%s) purchase", (status) => {
    expect(cancelRefusal(purchase(status, status === "COMPLETED"))?.type).toBe("PURCHASE_ENDED");
  });

  it.each(["RUNNING", "NEEDS_ATTENTION"] as const)("refuses a paid purchase (%s)", (status) => {
    expect(cancelRefusal(purchase(status, true))).toEqual({ type: "ALREADY_PAID", message: `Purchase ${ID} is paid: it can no longer be cancelled` });
  });

  it.each(["COMPENSATING", "NEEDS_ATTENTION"] as const)("refuses a purchase already being undone (%s)", (status) => {
    expect(cancelRefusal(purchase(status))?.type).toBe("ALREADY_FAILING");
  });
});
