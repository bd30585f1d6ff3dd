import { CANCELLED_BEFORE_PAYMENT, declineReason, replyForRecordedPayment } from "../../../services/payment/payment-decisions";

const purchaseId = "3f1c2a9e-8d4b-4c1e-9a7f-2b6d5e8c1a01";
const paymentId = "9b2e4c7a-1f3d-4e8b-a6c5-7d9e0f1a2b3c";

describe("declineReason", () => {
  const charge = { amount: 24460, currency: "VND" };

  it("names a currency the wallet does not hold", () => {
    expect(declineReason({ balance: "100000000", currency: "VND" }, { amount: 10, currency: "USD" })).toBe("the wallet holds VND, not USD");
  });

  it("otherwise reports a shortfall", () => {
    expect(declineReason({ balance: "24459", currency: "VND" }, charge)).toBe("insufficient funds: the wallet cannot cover 24460 VND");
  });
});

describe("replyForRecordedPayment", () => {
  it("repeats a completed payment's id", () => {
    expect(replyForRecordedPayment({ id: paymentId, purchase_id: purchaseId, status: "COMPLETED", reason: null })).toEqual({
      type: "PaymentCompleted",
      payload: { purchaseId, paymentId },
    });
  });

  it("repeats a decline with its reason, a tombstone's included", () => {
    expect(replyForRecordedPayment({ id: paymentId, purchase_id: purchaseId, status: "DECLINED", reason: CANCELLED_BEFORE_PAYMENT })).toEqual({
      type: "PaymentDeclined",
      payload: { purchaseId, reason: CANCELLED_BEFORE_PAYMENT },
    });
  });

  it("declines for a refunded payment rather than claim the money is held", () => {
    expect(replyForRecordedPayment({ id: paymentId, purchase_id: purchaseId, status: "REFUNDED", reason: null })).toEqual({
      type: "PaymentDeclined",
      payload: { purchaseId, reason: "the payment was refunded" },
    });
  });
});
