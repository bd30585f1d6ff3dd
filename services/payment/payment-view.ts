/** How payments and wallets look on the way out: snake_case JSON, money as integer minor units. */
import type { WalletMovement } from "./payment-decisions";
import type { Payment, Wallet } from "./payment-models";

export function paymentView(payment: Payment) {
  return {
    id: payment.id,
    purchase_id: payment.purchase_id,
    amount: payment.amount === null ? null : Number(payment.amount),
    currency: payment.currency,
    status: payment.status,
    reason: payment.reason,
    created_at: payment.created_at.toISOString(),
    updated_at: payment.updated_at.toISOString(),
  };
}

/** For operators and tests: the customer's view plus whose payment it is. */
export function internalPaymentView(payment: Payment) {
  return { ...paymentView(payment), customer_id: payment.customer_id };
}

/** For operators and tests: whose wallet it is, and what it holds. */
export function walletView(wallet: Wallet) {
  return { customer_id: wallet.customer_id, balance: Number(wallet.balance), currency: wallet.currency, updated_at: wallet.updated_at.toISOString() };
}

/** The caller's own wallet, with its newest movements. */
export function customerWalletView(wallet: Wallet, movements: WalletMovement[]) {
  return {
    balance: Number(wallet.balance),
    currency: wallet.currency,
    updated_at: wallet.updated_at.toISOString(),
    movements: movements.map((movement) => ({ ...movement, at: movement.at.toISOString() })),
  };
}
