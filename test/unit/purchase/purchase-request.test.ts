import Validator from "fastest-validator";

import { MAX_QUANTITY, createPurchaseSchema, priceOrder, requestProblems, type CreatePurchaseBody } from "../../../services/purchase/purchase-request";
import { MAX_MONEY } from "../../../lib/money";

const check = new Validator().compile(createPurchaseSchema);

const SEED_BODY = {
  order_items: [
    { product_id: 1, quantity: 4 },
    { product_id: 2, quantity: 5 },
  ],
  payment: { currency_code: "VND" },
};

/** Validates a deep copy (the schema sanitises in place) and returns it with the failing fields. */
function validate(body: unknown): { value: CreatePurchaseBody; fields: string[] } {
  const value = structuredClone(body) as CreatePurchaseBody;
  const result = check(value);
  if (result instanceof Promise) throw new Error("the schema is expected to be synchronous");
  return { value, fields: result === true ? [] : result.map((e) => e.field ?? "") };
}

describe("createPurchaseSchema", () => {
  it("accepts the seed's body", () => {
    expect(validate(SEED_BODY).fields).toEqual([]);
  });

  it("drops fields it does not know, at every level", () => {
    const { value } = validate({
      ...SEED_BODY,
      customer_id: "someone-else",
      order_items: [{ product_id: 1, quantity: 1, unit_price: 0 }],
      payment: { currency_code: "VND", amount: 1 },
    });
    expect(value).toEqual({ order_items: [{ product_id: 1, quantity: 1 }], payment: { currency_code: "VND" } });
  });

  it("normalises the currency code", () => {
    expect(validate({ ...SEED_BODY, payment: { currency_code: " vnd " } }).value.payment.currency_code).toBe("VND");
  });

  it.each([
    ["no items", { ...SEED_BODY, order_items: [] }, "order_items"],
    ["51 items", { ...SEED_BODY, order_items: Array.from({ length: 51 }, (_, i) => ({ product_id: i + 1, quantity: 1 })) }, "order_items"],
    ["product id 0", { ...SEED_BODY, order_items: [{ product_id: 0, quantity: 1 }] }, "order_items[0].product_id"],
    ["a fractional product id", { ...SEED_BODY, order_items: [{ product_id: 1.5, quantity: 1 }] }, "order_items[0].product_id"],
    ["a product id as text", { ...SEED_BODY, order_items: [{ product_id: "1", quantity: 1 }] }, "order_items[0].product_id"],
    ["quantity 0", { ...SEED_BODY, order_items: [{ product_id: 1, quantity: 0 }] }, "order_items[0].quantity"],
    ["quantity 1001", { ...SEED_BODY, order_items: [{ product_id: 1, quantity: 1001 }] }, "order_items[0].quantity"],
    ["no payment", { order_items: SEED_BODY.order_items }, "payment"],
    ["an empty currency", { ...SEED_BODY, payment: { currency_code: "" } }, "payment.currency_code"],
  ])("rejects %s", (_, body, field) => {
    expect(validate(body).fields).toContain(field);
  });
});

describe("requestProblems", () => {
  it("finds nothing wrong with distinct products in the store's currency", () => {
    expect(requestProblems(SEED_BODY, "VND")).toEqual([]);
  });

  it("names each repeated product and where it was first listed", () => {
    const body = {
      ...SEED_BODY,
      order_items: [
        { product_id: 7, quantity: 1 },
        { product_id: 8, quantity: 1 },
        { product_id: 7, quantity: 2 },
      ],
    };
    expect(requestProblems(body, "VND")).toEqual([{ field: "order_items[2].product_id", message: expect.stringContaining("order_items[0]") }]);
  });

  it("refuses any currency but the store's", () => {
    expect(requestProblems({ ...SEED_BODY, payment: { currency_code: "USD" } }, "VND")).toEqual([
      { field: "payment.currency_code", message: "The store sells in VND only." },
    ]);
  });
});

describe("priceOrder", () => {
  it("prices each item at its product's price and sums the amount in minor units", () => {
    const order = priceOrder(
      SEED_BODY.order_items,
      new Map([
        [1, 3780],
        [2, 1200],
      ]),
    );
    expect(order).toEqual({
      ok: true,
      items: [
        { productId: 1, quantity: 4, unitPrice: 3780 },
        { productId: 2, quantity: 5, unitPrice: 1200 },
      ],
      amount: 4 * 3780 + 5 * 1200,
    });
  });

  it("prices a free product at zero", () => {
    expect(priceOrder([{ product_id: 1, quantity: 3 }], new Map([[1, 0]]))).toMatchObject({ ok: true, amount: 0 });
  });

  it("names every unknown product by id and position", () => {
    const order = priceOrder(
      SEED_BODY.order_items,
      new Map([
        [1, null],
        [2, null],
      ]),
    );
    expect(order).toEqual({
      ok: false,
      refusal: "unknown-products",
      problems: [
        { field: "order_items[0].product_id", message: "Product 1 does not exist." },
        { field: "order_items[1].product_id", message: "Product 2 does not exist." },
      ],
    });
  });

  const tenAtTheCatalogsTopPrice = Array.from({ length: 10 }, (_, i) => ({ product_id: i + 1, quantity: MAX_QUANTITY }));
  const topPrices = new Map(tenAtTheCatalogsTopPrice.map((item) => [item.product_id, 10 ** 12]));

  it("refuses an amount beyond what a purchase can carry, though each line fits", () => {
    // 10 × 10^12 × 1000 = 10^16 > 2^53 - 1: the orchestrator's schema would refuse the PurchaseCreated.
    expect(priceOrder(tenAtTheCatalogsTopPrice, topPrices)).toEqual({
      ok: false,
      refusal: "too-expensive",
      problems: [{ field: "order_items", message: expect.stringContaining(`10000000000000000, more than ${MAX_MONEY}`) }],
    });
  });

  it("names each line that alone is beyond what a purchase can carry", () => {
    const order = priceOrder(
      [
        { product_id: 1, quantity: 1 },
        { product_id: 2, quantity: 3 },
      ],
      new Map([
        [1, 5],
        [2, 2 ** 52],
      ]),
    );
    expect(order).toEqual({ ok: false, refusal: "too-expensive", problems: [{ field: "order_items[1].quantity", message: expect.any(String) }] });
  });

  it("refuses a unit price that is not a safe integer", () => {
    expect(priceOrder([{ product_id: 1, quantity: 1 }], new Map([[1, 2 ** 60]]))).toMatchObject({ ok: false, refusal: "too-expensive" });
  });

  // 2 × (2^52 - 1) + the second line = 2^53 - 2 + the second line's price.
  const nearTheBound = [
    { product_id: 1, quantity: 2 },
    { product_id: 2, quantity: 1 },
  ];
  const pricedNearTheBound = (second: number) =>
    new Map([
      [1, 2 ** 52 - 1],
      [2, second],
    ]);

  it("accepts an amount of exactly the bound", () => {
    expect(priceOrder(nearTheBound, pricedNearTheBound(1))).toMatchObject({ ok: true, amount: MAX_MONEY });
  });

  it("refuses an amount a float sum would round (2^53 + 1)", () => {
    expect(priceOrder(nearTheBound, pricedNearTheBound(3))).toMatchObject({
      ok: false,
      refusal: "too-expensive",
      problems: [{ field: "order_items", message: expect.stringContaining("9007199254740993") }],
    });
  });

  it("reports unknown products before the amount", () => {
    expect(priceOrder(tenAtTheCatalogsTopPrice, new Map([...topPrices, [10, null]]))).toMatchObject({ ok: false, refusal: "unknown-products" });
  });
});
