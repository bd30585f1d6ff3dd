/**
 * The purchases table: purchases recorded with their announcements, found
 * for their customers, and moved along by the saga's notes and its outcome.
 * Recording and progress notes are set-based statements over a whole batch;
 * the rest goes through the Purchase model.
 */
import type { Knex } from "knex";
import type { PurchaseCreated } from "../../contracts/purchase-saga";
import type { PurchaseProgressNote } from "../../contracts/purchase-progress";
import type { PurchaseLine, PurchaseStatus, PurchaseView } from "./purchase-view";
import type { OutboxRow } from "../../lib/outbox/outbox-writer";
import { customerHistory, type HistoryQuery } from "../../lib/history/customer-history";
import { FINAL_STATUSES } from "../../lib/saga/state";
import { Purchase } from "./purchase-models";
import { purchaseView, type ViewedPurchase } from "./purchase-view";

/** What the saga's result changes on a purchase. */
export type PurchaseOutcome = Pick<PurchaseView, "status" | "step" | "failure_reason" | "order_id" | "payment_id">;

/** A client's Idempotency-Key and the fingerprint of the request made under it. */
export interface IdempotencyClaim {
  key: string;
  fingerprint: string;
}

/** A purchase already made under a key: its id and status, and what was asked under the key. */
export type KeyedPurchase = Pick<Purchase, "id" | "status" | "request_fingerprint">;

/** A purchase to record, the key it was asked under (if any), and the outbox row that announces it. */
export interface PurchaseToRecord {
  purchase: PurchaseCreated;
  claim: IdempotencyClaim | null;
  announcement: OutboxRow;
}

/**
 * Records purchases PENDING, exactly as announced, and their announcements in
 * one statement: one round trip, atomic on its own. For each purchase, true
 * when recorded; false (and nothing written for it) when its customer already
 * made a purchase under its key.
 */
export async function recordPurchases(db: Knex, outboxTable: string, records: PurchaseToRecord[]): Promise<boolean[]> {
  const purchases = records.map(({ purchase, claim }) => ({
    id: purchase.purchaseId,
    customer_id: purchase.customerId,
    items: purchase.items.map((i): PurchaseLine => ({ product_id: i.productId, quantity: i.quantity, unit_price: i.unitPrice })),
    amount: purchase.amount,
    currency: purchase.currency,
    idempotency_key: claim?.key ?? null,
    request_fingerprint: claim?.fingerprint ?? null,
  }));
  // One statement for the batch and its outbox rows (a data-modifying WITH runs to completion whether or not the outer query reads it).
  const { rows } = await db.raw<{ rows: { id: string }[] }>(
    `with recorded as (
       insert into ${Purchase.tableName} (id, customer_id, status, items, amount, currency, idempotency_key, request_fingerprint)
       select p.id, p.customer_id, 'PENDING', p.items, p.amount, p.currency, p.idempotency_key, p.request_fingerprint
         from jsonb_to_recordset(?::jsonb) as p(id uuid, customer_id uuid, items jsonb, amount bigint, currency text, idempotency_key text, request_fingerprint text)
       on conflict (customer_id, idempotency_key) do nothing
       returning id
     ), announced as (
       insert into ?? (id, aggregatetype, aggregateid, type, payload, traceparent)
       select m.id, m.aggregatetype, m.aggregateid, m.type, m.payload::jsonb, m.traceparent
         from jsonb_to_recordset(?::jsonb) as m(id uuid, aggregatetype text, aggregateid text, type text, payload text, traceparent text)
         join recorded on recorded.id::text = m.aggregateid
     )
     select id from recorded`,
    [JSON.stringify(purchases), outboxTable, JSON.stringify(records.map((r) => r.announcement))],
  );
  const recorded = new Set(rows.map((r) => r.id));
  return records.map((r) => recorded.has(r.purchase.purchaseId));
}

/** The purchase this customer made under this Idempotency-Key, if any. */
export async function findKeyedPurchase(db: Knex, customerId: string, key: string): Promise<KeyedPurchase | null> {
  return (await Purchase.query(db).findOne({ customer_id: customerId, idempotency_key: key }).select("id", "status", "request_fingerprint")) ?? null;
}

/** The purchase if it is this customer's; anyone else's is as good as absent. */
export async function findCustomerPurchase(db: Knex, id: string, customerId: string): Promise<PurchaseView | null> {
  const purchase = await Purchase.query(db).findOne({ id, customer_id: customerId });
  return purchase ? purchaseView(purchase) : null;
}

/** The purchase, locked for the caller's transaction, if it is this customer's. */
export async function lockCustomerPurchase(trx: Knex.Transaction, id: string, customerId: string): Promise<Purchase | undefined> {
  return await Purchase.query(trx).findOne({ id, customer_id: customerId }).forUpdate();
}

/** Notes when the customer asked to cancel, with the request's outbox row; the purchase as it now is. */
export async function recordCancelRequest(trx: Knex.Transaction, outboxTable: string, id: string, request: OutboxRow): Promise<PurchaseView> {
  const [row]: ViewedPurchase[] = await trx(Purchase.tableName)
    .where({ id })
    .update({ cancel_requested_at: trx.fn.now(), version: trx.raw("version + 1"), updated_at: trx.fn.now() })
    .returning("*");
  await trx(outboxTable).insert(request);
  return purchaseView(row!);
}

/**
 * Applies progress notes in one statement: each to its purchase unless the
 * purchase has ended or a note as new was applied already. Answers the
 * purchases changed.
 */
export async function recordProgressNotes(db: Knex, notes: readonly PurchaseProgressNote[]): Promise<PurchaseView[]> {
  const newest = newestNotes(notes);
  // One statement for the batch: a model update per note would be a round trip each.
  const { rows } = await db.raw<{ rows: ViewedPurchase[] }>(
    `update ${Purchase.tableName} p
        set status = n.status, step = n.step, payment_taken = n.payment_taken, progress_version = n.version, version = p.version + 1, updated_at = now()
       from jsonb_to_recordset(?::jsonb) as n(id uuid, status text, step text, payment_taken boolean, version integer)
      where p.id = n.id and p.progress_version < n.version and p.status not in (${FINAL_STATUSES.map(() => "?").join(", ")})
      returning p.*`,
    [
      JSON.stringify(newest.map((n) => ({ id: n.purchaseId, status: n.status, step: n.step, payment_taken: n.paymentTaken, version: n.sagaVersion }))),
      ...FINAL_STATUSES,
    ],
  );
  return rows.map(purchaseView);
}

/** The newest note of each purchase: one statement may update a row once only. */
export function newestNotes(notes: readonly PurchaseProgressNote[]): PurchaseProgressNote[] {
  const newest = new Map<string, PurchaseProgressNote>();
  for (const note of notes) {
    const seen = newest.get(note.purchaseId);
    if (!seen || seen.sagaVersion < note.sagaVersion) newest.set(note.purchaseId, note);
  }
  return [...newest.values()];
}

/**
 * Applies the saga's outcome unless the purchase has already ended, so a
 * final status is never overwritten. Null when nothing changed.
 */
export async function recordOutcome(trx: Knex.Transaction, id: string, outcome: PurchaseOutcome): Promise<PurchaseView | null> {
  // Once per saga, so through knex like the notes: no model is built for a row only viewed.
  const [row]: ViewedPurchase[] = await trx(Purchase.tableName)
    .where({ id })
    .whereNotIn("status", FINAL_STATUSES)
    .update({ ...outcome, version: trx.raw("version + 1"), updated_at: trx.fn.now() })
    .returning("*");
  return row ? purchaseView(row) : null;
}

/** A page of the customer's purchases, newest first. */
export async function listCustomerPurchases(db: Knex, customerId: string, query: HistoryQuery<PurchaseStatus>): Promise<{ rows: Purchase[]; total: number }> {
  return await customerHistory(Purchase.query(db), customerId, query);
}
