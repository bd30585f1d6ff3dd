/**
 * The product service's decisions, without I/O: the order in which a
 * reservation takes stock, whether the stock suffices, and what a reservation
 * already recorded for a purchase answers.
 */
export interface ReservationItem {
  productId: number;
  quantity: number;
}

export type ReservationOutcome = { reserved: true; productIds: number[] } | { reserved: false; reason: string };

export type ReservationStatus = "RESERVED" | "REJECTED" | "RELEASED";

export interface RecordedReservation {
  status: ReservationStatus;
  reason: string | null;
}

/** Merges repeated product ids and sorts by id: rows are locked in one global order, so concurrent sagas cannot deadlock. */
export function normaliseItems(items: readonly ReservationItem[]): ReservationItem[] {
  const totals = new Map<number, number>();
  for (const item of items) totals.set(item.productId, (totals.get(item.productId) ?? 0) + item.quantity);
  return [...totals].map(([productId, quantity]) => ({ productId, quantity })).sort((a, b) => a.productId - b.productId);
}

/** Why `stock` (product id → units left) cannot cover `items`, or null when it can. */
export function shortfall(items: readonly ReservationItem[], stock: ReadonlyMap<number, number>): string | null {
  const short = items.find((item) => (stock.get(item.productId) ?? -1) < item.quantity);
  if (!short) return null;
  const left = stock.get(short.productId);
  return left === undefined
    ? `unknown product ${short.productId}`
    : `insufficient stock for product ${short.productId}: ${left} left, ${short.quantity} requested`;
}

/** A reservation asked again answers as it did the first time; a released or refused one never takes stock. */
export function outcomeOfRecorded(recorded: RecordedReservation, reservedProductIds: number[]): ReservationOutcome {
  if (recorded.status === "RESERVED") return { reserved: true, productIds: reservedProductIds };
  return { reserved: false, reason: recorded.reason ?? `reservation already ${recorded.status.toLowerCase()}` };
}
