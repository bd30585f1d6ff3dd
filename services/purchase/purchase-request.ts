/**
 * What a customer may ask to buy, and what it costs. The schema is the
 * action's `params` (snake_case, as the seed's API); the rules it cannot
 * express (each product once, the store's one currency, known products) are
 * plain functions returning the offending fields, for a 422.
 */
import { createHash } from "node:crypto";
import type { ValidationSchema } from "fastest-validator";
import { MAX_ORDER_ITEMS, type PricedItem } from "../../contracts/purchase-saga";
import { MAX_MONEY, lineTotal } from "../../lib/money";

export const MAX_QUANTITY = 1000;

// `$$strict: "remove"`: unknown fields never reach the handler, yet a stray query-string parameter is no error.
export const createPurchaseSchema = {
  $$strict: "remove",
  order_items: {
    type: "array",
    min: 1,
    max: MAX_ORDER_ITEMS,
    items: {
      type: "object",
      strict: "remove",
      props: {
        product_id: { type: "number", integer: true, min: 1 },
        quantity: { type: "number", integer: true, min: 1, max: MAX_QUANTITY },
      },
    },
  },
  payment: {
    type: "object",
    strict: "remove",
    props: { currency_code: { type: "string", trim: true, uppercase: true, min: 1, max: 16 } },
  },
} as const satisfies ValidationSchema;

export interface OrderItem {
  product_id: number;
  quantity: number;
}

export interface CreatePurchaseBody {
  order_items: OrderItem[];
  payment: { currency_code: string };
}

/** One field of the request and what is wrong with it; the gateway lists these in its 422 answer. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** Each product listed once, paid in the store's currency. Empty when the request is acceptable. */
export function requestProblems(body: CreatePurchaseBody, storeCurrency: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const firstListedAt = new Map<number, number>();
  body.order_items.forEach(({ product_id }, index) => {
    const first = firstListedAt.get(product_id);
    if (first === undefined) firstListedAt.set(product_id, index);
    else problems.push({ field: `order_items[${index}].product_id`, message: `Product ${product_id} is already listed at order_items[${first}].` });
  });
  if (body.payment.currency_code !== storeCurrency) {
    problems.push({ field: "payment.currency_code", message: `The store sells in ${storeCurrency} only.` });
  }
  return problems;
}

/** An Idempotency-Key: 1 to 128 visible ASCII characters (a UUID fits, as clients usually send). */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

/** What is wrong with a client's Idempotency-Key header, or null when it is usable. */
export function idempotencyKeyProblem(key: string): FieldProblem | null {
  return IDEMPOTENCY_KEY.test(key) ? null : { field: "Idempotency-Key", message: "The Idempotency-Key header must be 1 to 128 visible ASCII characters." };
}

/**
 * What the request asks for, as a digest: a retry under the same key must ask
 * for the same thing. Taken from the validated body, so a retry that differs
 * only in what validation drops or normalises (stray fields, the currency's case) is the same request.
 */
export function requestFingerprint(body: CreatePurchaseBody): string {
  const asked = { items: body.order_items.map((i) => [i.product_id, i.quantity]), currency: body.payment.currency_code };
  return createHash("sha256").update(JSON.stringify(asked)).digest("hex");
}

/** Unit prices by product id, in minor units; null for a product that does not exist. */
export type PriceList = ReadonlyMap<number, number | null>;

export type PricedOrder =
  | { ok: true; items: PricedItem[]; amount: number }
  /** `unknown-products`: a product does not exist; `too-expensive`: the money cannot be carried exactly (MAX_MONEY). */
  | { ok: false; refusal: "unknown-products" | "too-expensive"; problems: FieldProblem[] };

const CARRIABLE = BigInt(MAX_MONEY);

/**
 * Prices each item at its product's current price; the amount is their sum,
 * in integer minor units. Sums are taken in BigInt so an amount past
 * MAX_MONEY is seen for what it is rather than rounded, and such a purchase
 * is refused: the orchestrator's schema would refuse its PurchaseCreated, and
 * the purchase would stay PENDING.
 */
export function priceOrder(items: readonly OrderItem[], prices: PriceList): PricedOrder {
  const priced: PricedItem[] = [];
  const unknownProducts: FieldProblem[] = [];
  const tooExpensive: FieldProblem[] = [];
  let amount = 0n;
  items.forEach(({ product_id, quantity }, index) => {
    const unitPrice = prices.get(product_id);
    if (typeof unitPrice !== "number") {
      unknownProducts.push({ field: `order_items[${index}].product_id`, message: `Product ${product_id} does not exist.` });
      return;
    }
    // A price that is not a safe integer is already inexact (the catalog's own bound is far lower).
    const line = Number.isSafeInteger(unitPrice) ? lineTotal(quantity, unitPrice) : CARRIABLE + 1n;
    if (line > CARRIABLE) {
      tooExpensive.push({
        field: `order_items[${index}].quantity`,
        message: `${quantity} of product ${product_id} at ${unitPrice} come to more than ${MAX_MONEY}, the most one purchase can carry.`,
      });
    }
    amount += line;
    priced.push({ productId: product_id, quantity, unitPrice });
  });
  if (unknownProducts.length > 0) return { ok: false, refusal: "unknown-products", problems: unknownProducts };
  if (tooExpensive.length === 0 && amount > CARRIABLE) {
    tooExpensive.push({ field: "order_items", message: `The items come to ${amount}, more than ${MAX_MONEY}, the most one purchase can carry.` });
  }
  if (tooExpensive.length > 0) return { ok: false, refusal: "too-expensive", problems: tooExpensive };
  return { ok: true, items: priced, amount: Number(amount) };
}
