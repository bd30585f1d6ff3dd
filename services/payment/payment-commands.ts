/** The payment service's part in the purchase saga: ProcessPayment and its compensation, RefundPayment. */
import type { ValidationSchema } from "fastest-validator";
import type { Knex } from "knex";
import {
  PURCHASE_SAGA_MESSAGES as MESSAGES,
  type PaymentRefunded,
  type ProcessPayment,
  type RefundPayment,
} from "../../contracts/purchase-saga";
import type { SagaCommand } from "../../lib/saga/messages";
// Shared with the order service until it moves to lib/saga/.
import { sagaCommandHandler } from "../../lib/saga/participant";
import { type ProcessPaymentReply, declineReason, paymentCompleted, paymentDeclined, replyForRecordedPayment } from "./payment-decisions";
import { creditWallet, debitWallet, findPaymentByPurchase, findWallet, recordPayment, refundOrTombstone } from "./payment-store";

const processPaymentPayload: ValidationSchema = {
  purchaseId: "uuid",
  customerId: "uuid",
  amount: { type: "number", integer: true, positive: true, max: Number.MAX_SAFE_INTEGER },
  // Any other currency than the wallet's is declined, so no format is imposed here.
  currency: "string|min:1",
};

const refundPaymentPayload: ValidationSchema = { purchaseId: "uuid" };

async function processPayment(trx: Knex.Transaction, command: SagaCommand<ProcessPayment>): Promise<ProcessPaymentReply> {
  const charge = command.payload;
  const recorded = await findPaymentByPurchase(trx, charge.purchaseId);
  if (recorded) return replyForRecordedPayment(recorded);
  if (await debitWallet(trx, charge)) {
    return paymentCompleted(charge.purchaseId, await recordPayment(trx, charge, { status: "COMPLETED" }));
  }
  const reason = declineReason(await findWallet(trx, charge.customerId), charge);
  await recordPayment(trx, charge, { status: "DECLINED", reason });
  return paymentDeclined(charge.purchaseId, reason);
}

/** Always answers PaymentRefunded: compensation must succeed even when there was nothing to refund. */
async function refundPayment(trx: Knex.Transaction, command: SagaCommand<RefundPayment>) {
  const { purchaseId } = command.payload;
  const refunded = await refundOrTombstone(trx, purchaseId);
  if (refunded) await creditWallet(trx, refunded.customerId, refunded.amount);
  const payload: PaymentRefunded = { purchaseId };
  return { type: MESSAGES.PaymentRefunded, payload };
}

export const paymentCommandHandlers = {
  [MESSAGES.ProcessPayment]: sagaCommandHandler(MESSAGES.ProcessPayment, processPaymentPayload, processPayment),
  [MESSAGES.RefundPayment]: sagaCommandHandler(MESSAGES.RefundPayment, refundPaymentPayload, refundPayment),
};
