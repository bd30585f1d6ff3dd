/** The payment service's part in the purchase saga: ProcessPayment and its compensation, RefundPayment. */
import type { Knex } from "knex";
import type { InboundMessage } from "../../lib/inbox/idempotent-consumer";
import { PaymentRefunded, ProcessPayment, RefundPayment } from "../../contracts/purchase-saga";
import { messageOf } from "../../lib/messages/message-declaration";
import type { SagaCommand } from "../../lib/saga/messages";
import { commandPayloads, sagaCommandHandler } from "../../lib/saga/participant";
import { type ProcessPaymentReply, declineReason, paymentCompleted, paymentDeclined, replyForRecordedPayment } from "./payment-decisions";
import {
  creditWallet,
  debitWallet,
  findPaymentByPurchase,
  findWallet,
  lockWallets,
  openWallets,
  payersOf,
  recordPayment,
  refundOrTombstone,
} from "./payment-store";
import type { WalletSettings } from "./wallet-opening";

/**
 * A purchase can reach payment before its customer's CustomerRegistered does
 * (two topics, no order between them); the customer is real (a verified
 * token made the purchase), so the wallet is opened here just as that event
 * would open it: idempotently, with the same starting credit.
 */
function processPayment(wallets: WalletSettings) {
  return async (trx: Knex.Transaction, command: SagaCommand<ProcessPayment>): Promise<ProcessPaymentReply> => {
    const charge = command.payload;
    const recorded = await findPaymentByPurchase(trx, charge.purchaseId);
    if (recorded) return replyForRecordedPayment(recorded);
    await openWallets(trx, [charge.customerId], wallets.initialCredit, wallets.currency);
    if (await debitWallet(trx, charge)) {
      return paymentCompleted(charge.purchaseId, await recordPayment(trx, charge, { status: "COMPLETED" }));
    }
    const reason = declineReason((await findWallet(trx, charge.customerId))!, charge);
    await recordPayment(trx, charge, { status: "DECLINED", reason });
    return paymentDeclined(charge.purchaseId, reason);
  };
}

/** Always answers PaymentRefunded: compensation must succeed even when there was nothing to refund. */
async function refundPayment(trx: Knex.Transaction, command: SagaCommand<RefundPayment>) {
  const { purchaseId } = command.payload;
  const refunded = await refundOrTombstone(trx, purchaseId);
  if (refunded) await creditWallet(trx, refunded.customerId, refunded.amount);
  return messageOf(PaymentRefunded, { purchaseId });
}

/**
 * For a batch of commands in one transaction: the wallets of every payer,
 * locked up front in one order (see lockWallets). A new customer's wallet is
 * opened here as processPayment would open it.
 */
export function lockPayersWallets(wallets: WalletSettings) {
  return async (trx: Knex.Transaction, commands: InboundMessage[]): Promise<void> => {
    const charged = commandPayloads(commands, ProcessPayment).map((charge) => charge.customerId);
    const refunded = commandPayloads(commands, RefundPayment).map((refund) => refund.purchaseId);
    const payers = refunded.length > 0 ? await payersOf(trx, refunded) : [];
    await lockWallets(trx, [...charged, ...payers], wallets.initialCredit, wallets.currency);
  };
}

export function paymentCommandHandlers(wallets: WalletSettings) {
  return {
    [ProcessPayment.name]: sagaCommandHandler(ProcessPayment, processPayment(wallets)),
    [RefundPayment.name]: sagaCommandHandler(RefundPayment, refundPayment),
  };
}
