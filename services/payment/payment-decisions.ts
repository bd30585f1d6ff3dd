/**
 * The payment service's decisions, free of I/O: why a charge was declined,
 * what a ProcessPayment answers when its purchase already has a recorded
 * outcome (a re-sent command never charges again, it repeats the answer),
 * and the wallet's movements as its payments tell them.
 */
import { PaymentCompleted, PaymentDeclined, type ProcessPayment } from "../../contracts/purchase-saga";
import { messageOf, type Message } from "../../lib/messages/message-declaration";

export const PAYMENT_STATUSES = ["COMPLETED", "DECLINED", "REFUNDED"] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** Just what the decisions need to know of a recorded payment. */
export interface PaymentState {
  id: string;
  purchase_id: string;
  status: PaymentStatus;
  reason: string | null;
}

export interface WalletState {
  /** bigint: pg hands it over as a string. */
  balance: string;
  currency: string;
}

export type ProcessPaymentReply = Message<typeof PaymentCompleted> | Message<typeof PaymentDeclined>;

/** Kept as the reason of the tombstone a RefundPayment leaves when it overtakes its ProcessPayment. */
export const CANCELLED_BEFORE_PAYMENT = "the purchase was cancelled before its payment was processed";

export const paymentCompleted = (purchaseId: string, paymentId: string): ProcessPaymentReply => messageOf(PaymentCompleted, { purchaseId, paymentId });

export const paymentDeclined = (purchaseId: string, reason: string): ProcessPaymentReply => messageOf(PaymentDeclined, { purchaseId, reason });

/**
 * Why the conditional debit took nothing. Read after the fact, so a wallet
 * that changed in between may look sufficient: the debit's verdict stands,
 * and it is then reported as a shortfall.
 */
export function declineReason(wallet: WalletState, charge: Pick<ProcessPayment, "amount" | "currency">): string {
  if (wallet.currency !== charge.currency) return `the wallet holds ${wallet.currency}, not ${charge.currency}`;
  return `insufficient funds: the wallet cannot cover ${charge.amount} ${charge.currency}`;
}

/** The answer to a ProcessPayment whose purchase already has a payment: the recorded outcome, never a second charge. */
export function replyForRecordedPayment(payment: PaymentState): ProcessPaymentReply {
  switch (payment.status) {
    case "COMPLETED":
      return paymentCompleted(payment.purchase_id, payment.id);
    case "DECLINED":
      // The schema requires a reason on every DECLINED row.
      return paymentDeclined(payment.purchase_id, payment.reason!);
    case "REFUNDED":
      // The money went back already; answering "completed" would claim it is held.
      return paymentDeclined(payment.purchase_id, "the payment was refunded");
  }
}

/** A payment that took money (COMPLETED, or REFUNDED since): amount is never null on those. */
export interface MovedPayment {
  id: string;
  purchase_id: string;
  amount: string;
  created_at: Date;
  updated_at: Date;
}

export interface WalletMovement {
  kind: "PAYMENT" | "REFUND";
  /** Minor units: negative for the debit of a payment, positive for the credit of its refund. */
  amount: number;
  at: Date;
  purchase_id: string;
  payment_id: string;
}

/**
 * The wallet's newest movements, from its newest charged payments (debits,
 * when each was made) and its newest refunded ones (credits, when each was
 * refunded; a refund is a payment's last change). A refund at the same
 * instant as a debit came after it; ties beyond that go by payment id, as
 * the payment list's do.
 */
export function walletMovements(charged: readonly MovedPayment[], refunded: readonly MovedPayment[], limit: number): WalletMovement[] {
  const movement = (payment: MovedPayment, kind: WalletMovement["kind"], amount: number, at: Date): WalletMovement => ({
    kind,
    amount,
    at,
    purchase_id: payment.purchase_id,
    payment_id: payment.id,
  });
  return [
    ...charged.map((payment) => movement(payment, "PAYMENT", -Number(payment.amount), payment.created_at)),
    ...refunded.map((payment) => movement(payment, "REFUND", Number(payment.amount), payment.updated_at)),
  ]
    .sort(
      (a, b) =>
        b.at.getTime() - a.at.getTime() ||
        Number(b.kind === "REFUND") - Number(a.kind === "REFUND") ||
        (a.payment_id < b.payment_id ? 1 : a.payment_id > b.payment_id ? -1 : 0),
    )
    .slice(0, limit);
}
