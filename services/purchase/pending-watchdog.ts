/**
 * The pending watchdog: a purchase stays PENDING until the orchestrator's
 * first note arrives, so one still PENDING long after it was made has most
 * likely lost its PurchaseCreated (dead-lettered, or skipped while a consumer
 * misbehaved). Its outbox row is re-published as it was, same message id,
 * through Debezium (lib/outbox/outbox-replay.ts): if the orchestrator did get
 * it, its inbox drops the repeat; if not, the saga starts now.
 *
 * It never fails a purchase: its saga may yet start (a slow orchestrator, a
 * backlog in Kafka), and a purchase FAILED under a running saga would
 * disagree with it. A PurchaseCreated that the orchestrator's schema refuses
 * is not re-published (it would only be dead-lettered again); it is reported
 * for an operator instead.
 */
import Validator from "fastest-validator";
import type { Knex } from "knex";
import { PurchaseCreated } from "../../contracts/purchase-saga";
import { MAX_REPLAY_IDS_PER_SIGNAL, requestOutboxRowsReplay } from "../../lib/outbox/outbox-replay";
import { Purchase } from "./purchase-models";

export interface PendingSweep {
  /** Purchases whose PurchaseCreated was re-published, with that message's id. */
  republished: { purchaseId: string; messageId: string }[];
  /** Purchases whose PurchaseCreated the orchestrator would refuse, and why. */
  unpublishable: { purchaseId: string; reason: string }[];
}

interface DueRow {
  purchase_id: string;
  message_id: string;
  payload: unknown;
}

const checkPurchaseCreated = new Validator().compile(PurchaseCreated.schema);

function refusalOf(payload: unknown): string | null {
  const result = checkPurchaseCreated(payload);
  if (result === true) return null;
  if (result instanceof Promise) throw new Error("the PurchaseCreated schema is expected to be synchronous");
  return result.map((e) => e.message).join("; ");
}

/**
 * One batch: the oldest purchases PENDING for more than `olderThanMs`, and not
 * re-published within it, whose PurchaseCreated is on `topic` (a private
 * purchase service in a test has its own). Marked and signalled in one
 * transaction; the rows are locked with SKIP LOCKED, so several purchase
 * services sweep side by side without re-publishing a purchase twice.
 */
export async function republishPendingPurchases(db: Knex, options: { topic: string; olderThanMs: number; batchSize?: number }): Promise<PendingSweep> {
  const batchSize = Math.min(options.batchSize ?? MAX_REPLAY_IDS_PER_SIGNAL, MAX_REPLAY_IDS_PER_SIGNAL);
  return db.transaction(async (trx) => {
    // PurchaseCreated is appended in the purchase's own transaction and both rows take created_at from now(),
    // the transaction's start: equal, so the outbox's created_at index finds the row.
    const { rows } = await trx.raw<{ rows: DueRow[] }>(
      `select p.id as purchase_id, o.id as message_id, o.payload
         from purchases p
         join outbox o on o.created_at = p.created_at and o.aggregateid = cast(p.id as text) and o.aggregatetype = :topic and o.type = :type
        where p.status = 'PENDING'
          and p.created_at < now() - :olderThanMs * interval '1 millisecond'
          and (p.republished_at is null or p.republished_at < now() - :olderThanMs * interval '1 millisecond')
        order by p.created_at
        limit :batchSize
          for update of p skip locked`,
      { topic: options.topic, type: PurchaseCreated.name, olderThanMs: options.olderThanMs, batchSize },
    );
    const sweep: PendingSweep = { republished: [], unpublishable: [] };
    if (rows.length === 0) return sweep;
    for (const row of rows) {
      const reason = refusalOf(row.payload);
      if (reason === null) sweep.republished.push({ purchaseId: row.purchase_id, messageId: row.message_id });
      else sweep.unpublishable.push({ purchaseId: row.purchase_id, reason });
    }
    // Unpublishable ones are marked too: reported once per bound, not on every sweep.
    await Purchase.query(trx)
      .findByIds(rows.map((r) => r.purchase_id))
      .patch({ republished_at: trx.fn.now() });
    if (sweep.republished.length > 0) {
      await requestOutboxRowsReplay(
        trx,
        sweep.republished.map((r) => r.messageId),
      );
    }
    return sweep;
  });
}
