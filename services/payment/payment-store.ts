/**
 * Wallets and payments. Money moves only through single conditional
 * statements, so the database decides: a debit never takes a balance below
 * zero, `purchase_id` is unique (one payment per purchase, tombstones
 * included), and only a COMPLETED payment can become REFUNDED, once.
 * These run on every saga's path, so they go through knex on the models'
 * tables (objection's model building cost CPU per saga, see the README's
 * benchmarks); reads for the API go through the models.
 */
import { randomUUID } from "node:crypto";
import type { Knex } from "knex";
import type { ProcessPayment } from "../../contracts/purchase-saga";
import { customerHistory, type HistoryQuery } from "../../lib/history/customer-history";
import { CANCELLED_BEFORE_PAYMENT, type MovedPayment, type PaymentStatus } from "./payment-decisions";
import { Payment, Wallet } from "./payment-models";

type Queryable = Knex | Knex.Transaction;

/** Opens these customers' wallets, in one insert; a wallet that exists already is left untouched. */
export async function openWallets(trx: Knex.Transaction, customerIds: string[], initialCredit: number, currency: string): Promise<void> {
  await trx(Wallet.tableName)
    .insert(customerIds.map((customerId) => ({ customer_id: customerId, balance: initialCredit, currency })))
    .onConflict("customer_id")
    .ignore();
}

/**
 * Locks the wallets of these customers in customer-id order: the existing
 * ones first, then the missing ones are opened in the same order (a new row
 * is locked by its insert). A transaction that changes several wallets takes
 * them all here, before any change, so two of them cannot deadlock.
 */
export async function lockWallets(trx: Knex.Transaction, customerIds: string[], initialCredit: number, currency: string): Promise<void> {
  const ids = [...new Set(customerIds)].sort();
  if (ids.length === 0) return;
  const existing = new Set<string>(await trx(Wallet.tableName).whereIn("customer_id", ids).orderBy("customer_id").forUpdate().pluck("customer_id"));
  const missing = ids.filter((id) => !existing.has(id));
  if (missing.length > 0) await openWallets(trx, missing, initialCredit, currency);
}

/** The customers whose payments for these purchases are recorded. */
export function payersOf(trx: Knex.Transaction, purchaseIds: string[]): Promise<string[]> {
  return trx(Payment.tableName).whereIn("purchase_id", purchaseIds).whereNotNull("customer_id").distinct().pluck("customer_id");
}

/** Takes the amount in one conditional update; false when there is no such wallet, it holds another currency, or too little. */
export async function debitWallet(trx: Knex.Transaction, charge: ProcessPayment): Promise<boolean> {
  const debited = await trx(Wallet.tableName)
    .where({ customer_id: charge.customerId, currency: charge.currency })
    .andWhere("balance", ">=", charge.amount)
    .update({ balance: trx.raw("balance - ?", [charge.amount]), updated_at: trx.fn.now() });
  return debited === 1;
}

export async function creditWallet(trx: Knex.Transaction, customerId: string, amount: string): Promise<void> {
  await trx(Wallet.tableName)
    .where({ customer_id: customerId })
    .update({ balance: trx.raw("balance + ?", [amount]), updated_at: trx.fn.now() });
}

/**
 * Records the outcome of a charge; returns the payment id. A plain insert on
 * purpose: should a duplicate of the same purchase commit first, the unique
 * key fails this transaction, its debit rolls back with it, and the retry
 * finds the recorded payment.
 */
export async function recordPayment(
  trx: Knex.Transaction,
  charge: ProcessPayment,
  outcome: { status: "COMPLETED" } | { status: "DECLINED"; reason: string },
): Promise<string> {
  const id = randomUUID();
  await trx(Payment.tableName).insert({
    id,
    purchase_id: charge.purchaseId,
    customer_id: charge.customerId,
    amount: charge.amount,
    currency: charge.currency,
    status: outcome.status,
    reason: outcome.status === "DECLINED" ? outcome.reason : null,
  });
  return id;
}

/**
 * COMPLETED → REFUNDED, returning what to credit back; or, when the purchase
 * has no payment yet, a DECLINED tombstone that a late ProcessPayment will
 * find and repeat. One upsert, so a ProcessPayment racing it either commits
 * first (and is refunded) or finds the tombstone. A payment that is DECLINED
 * or REFUNDED already is left as it is: nothing is credited twice.
 */
export async function refundOrTombstone(trx: Knex.Transaction, purchaseId: string): Promise<{ customerId: string; amount: string } | null> {
  const [changed] = await trx(Payment.tableName)
    .insert({ id: randomUUID(), purchase_id: purchaseId, status: "DECLINED", reason: CANCELLED_BEFORE_PAYMENT })
    .onConflict("purchase_id")
    .merge({ status: "REFUNDED", updated_at: trx.fn.now() })
    .where("payments.status", "COMPLETED")
    .returning(["status", "customer_id", "amount"]);
  return changed?.status === "REFUNDED" ? { customerId: changed.customer_id, amount: changed.amount } : null;
}

export async function findPaymentByPurchase(db: Queryable, purchaseId: string): Promise<Payment | undefined> {
  return await Payment.query(db).findOne({ purchase_id: purchaseId });
}

/** The payment, only when `customerId` owns it. */
export async function findOwnedPayment(db: Queryable, paymentId: string, customerId: string): Promise<Payment | undefined> {
  return await Payment.query(db).findOne({ id: paymentId, customer_id: customerId });
}

export async function findWallet(db: Queryable, customerId: string): Promise<Wallet | undefined> {
  return await Wallet.query(db).findById(customerId);
}

/** A page of the customer's payments, newest first. Tombstones have no customer, so they never show. */
export async function listCustomerPayments(db: Queryable, customerId: string, query: HistoryQuery<PaymentStatus>): Promise<{ rows: Payment[]; total: number }> {
  return await customerHistory(Payment.query(db), customerId, query);
}

/**
 * What the wallet's newest `limit` movements come from: its newest charged
 * payments (in the customer's history index) and its newest refunds (in the
 * refunds' own index, by when they were refunded).
 */
export async function movedPayments(db: Queryable, customerId: string, limit: number): Promise<{ charged: MovedPayment[]; refunded: MovedPayment[] }> {
  const moved = () => db<MovedPayment>(Payment.tableName).where("customer_id", customerId).select("id", "purchase_id", "amount", "created_at", "updated_at");
  const [charged, refunded] = await Promise.all([
    moved()
      .whereIn("status", ["COMPLETED", "REFUNDED"])
      .orderBy([
        { column: "created_at", order: "desc" },
        { column: "id", order: "desc" },
      ])
      .limit(limit),
    moved()
      .where("status", "REFUNDED")
      .orderBy([
        { column: "updated_at", order: "desc" },
        { column: "id", order: "desc" },
      ])
      .limit(limit),
  ]);
  return { charged, refunded };
}
