import { CANCELLED_BEFORE_PAYMENT, declineReason, replyForRecordedPayment, walletMovements } from "../../../services/payment/payment-decisions";

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

describe("walletMovements", () => {
  const at = (minute: number) => new Date(Date.UTC(2026, 11, 6, 10, minute));
  const payment = (n: number, amount: string, made: number, changed = made) => ({
    id: `00000000-0000-4000-8000-00000000000${n}`,
    purchase_id: `10000000-0000-4000-8000-00000000000${n}`,
    amount,
    created_at: at(made),
    updated_at: at(changed),
  });
  const paid = payment(1, "1500", 1);
  const refunded = payment(2, "700", 2, 5);
  const later = payment(3, "300", 3);

  it("debits every charged payment when it was made and credits a refund when it was refunded, newest first", () => {
    expect(walletMovements([later, refunded, paid], [refunded], 20)).toEqual([
      { kind: "REFUND", amount: 700, at: at(5), purchase_id: refunded.purchase_id, payment_id: refunded.id },
      { kind: "PAYMENT", amount: -300, at: at(3), purchase_id: later.purchase_id, payment_id: later.id },
      { kind: "PAYMENT", amount: -700, at: at(2), purchase_id: refunded.purchase_id, payment_id: refunded.id },
      { kind: "PAYMENT", amount: -1500, at: at(1), purchase_id: paid.purchase_id, payment_id: paid.id },
    ]);
  });

  it("keeps only the newest, and puts a refund after a debit of the same instant", () => {
    const instant = payment(4, "100", 3, 3);
    const movements = walletMovements([instant, later, refunded], [instant, refunded], 3);
    expect(movements.map((m) => [m.kind, m.payment_id])).toEqual([
      ["REFUND", refunded.id],
      ["REFUND", instant.id],
      ["PAYMENT", instant.id],
    ]);
  });

  it("has nothing to tell of a wallet without payments", () => {
    expect(walletMovements([], [], 20)).toEqual([]);
  });
});
