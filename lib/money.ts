/**
 * Money is integer minor units of one currency. Sums are taken as BigInt:
 * a float stops being exact past 2^53, and a priced purchase must add up to
 * the unit.
 */

/**
 * The largest amount of money, in minor units, a message may carry: beyond it
 * a JSON number is no longer exact. The purchase service refuses at the door
 * any purchase that would exceed it, rather than announce one its consumers refuse.
 */
export const MAX_MONEY = Number.MAX_SAFE_INTEGER;

/** A line's money exactly: quantity × unit price, as a BigInt. Both must be integers. */
export function lineTotal(quantity: number, unitPrice: number): bigint {
  return BigInt(quantity) * BigInt(unitPrice);
}

/** The sum of the lines, exactly. */
export function itemsTotal(items: readonly { quantity: number; unitPrice: number }[]): bigint {
  return items.reduce((sum, item) => sum + lineTotal(item.quantity, item.unitPrice), 0n);
}
