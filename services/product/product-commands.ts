/**
 * The product service's part in the purchase saga: reserve every item of a
 * purchase or none, and release a reservation. Both are idempotent by
 * purchase id, and a release that overtakes its reservation leaves a
 * RELEASED mark so the late reservation is refused instead of leaking stock.
 */
import type { Knex } from "knex";
import { InventoryRejected, InventoryReleased, InventoryReserved, ReleaseInventory, ReserveInventory } from "../../contracts/purchase-saga";
import { messageOf } from "../../lib/messages/message-declaration";
import type { InboundMessage } from "../../lib/inbox/idempotent-consumer";
import type { SagaCommand } from "../../lib/saga/messages";
import { commandPayloads, sagaCommandHandler } from "../../lib/saga/participant";
import { normaliseItems, outcomeOfRecorded, shortfall, type ReservationItem, type ReservationOutcome } from "./product-decisions";
import {
  findReservation,
  forgetReservation,
  lockStockOf,
  markReleased,
  recordReservation,
  recordUnreserved,
  reservedItems,
  returnStock,
  stockOf,
  takeStock,
} from "./product-store";

/** What the commands need of the service: its read cache, told after the commit which products' stock changed. */
export interface StockCacheHolder {
  cache: { invalidate(productIds: number[]): Promise<void> };
}

/**
 * The stock itself is taken last, by conditional decrements: alone, a
 * sought-after product's row is then locked only from its UPDATE to the
 * commit. In a batch its row is locked once for the batch (lockStockOf), and
 * the batch's reservations share that one lock time.
 */
async function reserveInventory(trx: Knex.Transaction, purchaseId: string, requested: ReservationItem[]): Promise<ReservationOutcome> {
  const recorded = await findReservation(trx, purchaseId);
  if (recorded) {
    const productIds = recorded.status === "RESERVED" ? (await reservedItems(trx, purchaseId)).map((item) => item.productId) : [];
    return outcomeOfRecorded(recorded, productIds);
  }

  const items = normaliseItems(requested);
  const productIds = items.map((item) => item.productId);
  // An unlocked look first: unknown products and plain shortfalls are refused without waiting for any lock.
  const refusal = shortfall(items, await stockOf(trx, productIds));
  if (refusal) return refuse(trx, purchaseId, refusal);

  await recordReservation(trx, purchaseId, items);
  // In id order: concurrent reservations lock rows in one global order, so cannot deadlock.
  const taken: ReservationItem[] = [];
  for (const item of items) {
    if (!(await takeStock(trx, item))) break;
    taken.push(item);
  }
  if (taken.length === items.length) return { reserved: true, productIds };

  // Another reservation got there between the look and the update: give back what was taken, and refuse.
  for (const item of taken) await returnStock(trx, item);
  await forgetReservation(trx, purchaseId);
  return refuse(trx, purchaseId, shortfall(items, await stockOf(trx, productIds)) ?? "stock changed during the reservation");
}

async function refuse(trx: Knex.Transaction, purchaseId: string, reason: string): Promise<ReservationOutcome> {
  await recordUnreserved(trx, purchaseId, "REJECTED", reason);
  return { reserved: false, reason };
}

/** @returns the products whose stock went back up (none when there was nothing to release). */
async function releaseInventory(trx: Knex.Transaction, purchaseId: string): Promise<number[]> {
  const recorded = await findReservation(trx, purchaseId, { forUpdate: true });
  if (!recorded) {
    await recordUnreserved(trx, purchaseId, "RELEASED", "released before it was reserved");
    return [];
  }
  if (recorded.status !== "RESERVED") return [];
  const items = await reservedItems(trx, purchaseId);
  for (const item of items) await returnStock(trx, item);
  await markReleased(trx, purchaseId);
  return items.map((item) => item.productId);
}

async function reserve(this: StockCacheHolder, trx: Knex.Transaction, command: SagaCommand<ReserveInventory>) {
  const { purchaseId, items } = command.payload;
  const outcome = await reserveInventory(trx, purchaseId, items);
  return outcome.reserved
    ? { ...messageOf(InventoryReserved, { purchaseId }), afterCommit: () => this.cache.invalidate(outcome.productIds) }
    : messageOf(InventoryRejected, { purchaseId, reason: outcome.reason });
}

async function release(this: StockCacheHolder, trx: Knex.Transaction, command: SagaCommand<ReleaseInventory>) {
  const { purchaseId } = command.payload;
  const released = await releaseInventory(trx, purchaseId);
  return { ...messageOf(InventoryReleased, { purchaseId }), afterCommit: () => this.cache.invalidate(released) };
}

export const productCommandHandlers = {
  [ReserveInventory.name]: sagaCommandHandler<typeof ReserveInventory, StockCacheHolder>(ReserveInventory, reserve),
  [ReleaseInventory.name]: sagaCommandHandler<typeof ReleaseInventory, StockCacheHolder>(ReleaseInventory, release),
};

/** Locks, for a batch of commands, every product row it will change (see lockStockOf). */
export function lockStockOfBatch(trx: Knex.Transaction, commands: InboundMessage[]): Promise<void> {
  return lockStockOf(
    trx,
    commandPayloads(commands, ReserveInventory).map((reservation) => reservation.items),
    commandPayloads(commands, ReleaseInventory).map((release) => release.purchaseId),
  );
}
