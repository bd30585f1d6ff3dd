/**
 * The payment service's decisions, free of I/O: why a charge was declined,
 * and what a ProcessPayment answers when its purchase already has a recorded
 * outcome (a re-sent command never charges again, it repeats the answer).
 */
import { PaymentCompleted, PaymentDeclined, type ProcessPayment } from "../../contracts/purchase-saga";
import { messageOf, type Message } from "../../lib/messages/message-declaration";

export type PaymentStatus = "COMPLETED" | "DECLINED" | "REFUNDED";

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
