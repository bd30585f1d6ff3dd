/** Money is integer minor units, summed exactly: one rule for the door and for the order's check. */
import { itemsTotal, lineTotal } from "../../../lib/money";

describe("lineTotal and itemsTotal", () => {
  it("stay exact past 2^53, where a float would round", () => {
    expect(lineTotal(3, 3_002_399_751_580_331)).toBe(9_007_199_254_740_993n);
    expect(BigInt(3 * 3_002_399_751_580_331)).toBe(9_007_199_254_740_992n);
    expect(
      itemsTotal([
        { quantity: 2, unitPrice: 3780 },
        { quantity: 5, unitPrice: 1200 },
      ]),
    ).toBe(13_560n);
  });

  it("refuse a fractional price rather than round it", () => {
    expect(() => lineTotal(1, 10.5)).toThrow(RangeError);
  });
});
