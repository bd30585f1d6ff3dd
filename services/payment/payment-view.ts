/**
 * How payments and wallets look on the way out: snake_case JSON, money as
 * integer minor units. The customer's views are declared once as schemas:
 * their types are read off them, and the API document shows them.
 */
import { type Infer } from "../../lib/messages/message-declaration";
import { PAYMENT_STATUSES, type WalletMovement } from "./payment-decisions";
import type { Payment, Wallet } from "./payment-models";

const minorUnits = { type: "number", integer: true } as const;

export const paymentViewSchema = {
  id: "uuid",
  purchase_id: "uuid",
  /** Null (as the currency) only on a tombstone, never a customer's own payment. */
  amount: { ...minorUnits, nullable: true },
  currency: { type: "string", nullable: true },
  status: { type: "enum", values: PAYMENT_STATUSES },
  /** Why it was declined or refunded. */
  reason: { type: "string", nullable: true },
  created_at: { type: "date" },
  updated_at: { type: "date" },
} as const;
export type PaymentView = Infer<typeof paymentViewSchema>;

export const customerWalletViewSchema = {
  balance: minorUnits,
  currency: "string",
  updated_at: { type: "date" },
  /** The newest first. */
  movements: {
    type: "array",
    items: {
      type: "object",
      props: {
        kind: { type: "enum", values: ["PAYMENT", "REFUND"] },
        /** Negative for the debit of a payment, positive for the credit of its refund. */
        amount: minorUnits,
        at: { type: "date" },
        purchase_id: "uuid",
        payment_id: "uuid",
      },
    },
  },
} as const;
export type CustomerWalletView = Infer<typeof customerWalletViewSchema>;

export function paymentView(payment: Payment): PaymentView {
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
export function customerWalletView(wallet: Wallet, movements: WalletMovement[]): CustomerWalletView {
  return {
    balance: Number(wallet.balance),
    currency: wallet.currency,
    updated_at: wallet.updated_at.toISOString(),
    movements: movements.map((movement) => ({ ...movement, at: movement.at.toISOString() })),
  };
}
