/** The product service's reservation decisions: lock order, stock checks, and answers to a purchase asked again. */
import { normaliseItems, outcomeOfRecorded, shortfall } from "../../../services/product/product-decisions";

describe("normaliseItems", () => {
  it("merges a product listed twice and sorts by product id, the one order rows are locked in", () => {
    expect(
      normaliseItems([
        { productId: 9, quantity: 1 },
        { productId: 2, quantity: 3 },
        { productId: 9, quantity: 4 },
      ]),
    ).toEqual([
      { productId: 2, quantity: 3 },
      { productId: 9, quantity: 5 },
    ]);
  });
});

describe("shortfall", () => {
  const stock = new Map([
    [1, 5],
    [2, 0],
  ]);

  it("is null when every item is covered, to the last unit", () => {
    expect(shortfall([{ productId: 1, quantity: 5 }], stock)).toBeNull();
  });

  it("names the first product short and what is left", () => {
    expect(
      shortfall(
        [
          { productId: 1, quantity: 6 },
          { productId: 2, quantity: 1 },
        ],
        stock,
      ),
    ).toBe("insufficient stock for product 1: 5 left, 6 requested");
  });

  it("names a product that does not exist", () => {
    expect(shortfall([{ productId: 3, quantity: 1 }], stock)).toBe("unknown product 3");
  });
});

describe("outcomeOfRecorded", () => {
  it("answers a reservation asked again with the products it holds", () => {
    expect(outcomeOfRecorded({ status: "RESERVED", reason: null }, [1, 2])).toEqual({ reserved: true, productIds: [1, 2] });
  });

  it("keeps refusing a refused reservation, with its reason", () => {
    expect(outcomeOfRecorded({ status: "REJECTED", reason: "unknown product 3" }, [])).toEqual({ reserved: false, reason: "unknown product 3" });
  });

  it("refuses a reservation released before it came, so no stock leaks", () => {
    expect(outcomeOfRecorded({ status: "RELEASED", reason: null }, [])).toEqual({ reserved: false, reason: "reservation already released" });
  });
});
