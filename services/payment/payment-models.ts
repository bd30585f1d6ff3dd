/**
 * The payment service's tables as objection models. Properties are the
 * columns as they are named (snake_case); bigint columns arrive from pg as
 * strings.
 */
import { Model } from "objection";
import type { PaymentStatus } from "./payment-decisions";

export class Wallet extends Model {
  static override tableName = "wallets";
  static override idColumn = "customer_id";

  declare customer_id: string;
  declare balance: string;
  declare currency: string;
  declare created_at: Date;
  declare updated_at: Date;
}

export class Payment extends Model {
  static override tableName = "payments";

  declare id: string;
  declare purchase_id: string;
  /** Null only on a tombstone: a purchase refunded before its payment was processed. */
  declare customer_id: string | null;
  declare amount: string | null;
  declare currency: string | null;
  declare status: PaymentStatus;
  declare reason: string | null;
  declare created_at: Date;
  declare updated_at: Date;
}
