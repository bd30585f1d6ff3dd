/**
 * The purchase service's table as an objection model: a purchase as the
 * customer asked for it, priced, with the status its saga has reached.
 * Properties are the columns as they are named; `amount` (bigint) arrives
 * from pg as a string.
 */
import { Model } from "objection";
import type { PurchaseLine, PurchaseStatus } from "./purchase-view";

export class Purchase extends Model {
  static override tableName = "purchases";
  static override jsonAttributes = ["items"];

  declare id: string;
  declare customer_id: string;
  declare status: PurchaseStatus;
  /** The saga step in progress; null before the saga starts and once it has ended. */
  declare step: string | null;
  declare failure_reason: string | null;
  /** jsonb: the lines priced when the purchase was made. */
  declare items: PurchaseLine[];
  /** Integer minor units of `currency`. */
  declare amount: string;
  declare currency: string;
  declare order_id: string | null;
  declare payment_id: string | null;
  /** Bumped by every change, so a client stream can drop what it has already seen. */
  declare version: number;
  /** When its customer asked to cancel it; null if they never did. */
  declare cancel_requested_at: Date | null;
  /** The saga has taken the payment (its pivot): a cancel can no longer stop it. */
  declare payment_taken: boolean;
  /** The saga version of the last progress note applied (see recordProgressNotes). */
  declare progress_version: number;
  declare idempotency_key: string | null;
  declare request_fingerprint: string | null;
  /** When the pending watchdog last re-published this purchase's PurchaseCreated. */
  declare republished_at: Date | null;
  declare created_at: Date;
  declare updated_at: Date;
}
