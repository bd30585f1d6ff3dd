import { idempotencyKeyProblem, requestFingerprint } from "../../../services/purchase/purchase-request";

const body = (items: [number, number][], currency = "VND") => ({
  order_items: items.map(([product_id, quantity]) => ({ product_id, quantity })),
  payment: { currency_code: currency },
});

describe("Idempotency-Key", () => {
  it.each(["3f1c2e4a-9b7d-4c55-8a0e-1d2f3a4b5c6d", "a", "k".repeat(128), "order-42/retry_1"])("accepts %s", (key) =>
    expect(idempotencyKeyProblem(key)).toBeNull(),
  );

  it.each(["", "k".repeat(129), "two words", "tab\there", "naïve", "nul\u0000"])("refuses %j, naming the header", (key) => {
    expect(idempotencyKeyProblem(key)).toEqual({ field: "Idempotency-Key", message: expect.stringMatching(/1 to 128 visible ASCII/) });
  });
});

describe("requestFingerprint", () => {
  it("is the same for the same request and differs when the items, a quantity or the currency differ", () => {
    const base = requestFingerprint(
      body([
        [1, 4],
        [2, 5],
      ]),
    );
    expect(
      requestFingerprint(
        body([
          [1, 4],
          [2, 5],
        ]),
      ),
    ).toBe(base);
    expect(
      requestFingerprint(
        body([
          [1, 4],
          [2, 6],
        ]),
      ),
    ).not.toBe(base);
    expect(requestFingerprint(body([[1, 4]]))).not.toBe(base);
    expect(
      requestFingerprint(
        body(
          [
            [1, 4],
            [2, 5],
          ],
          "USD",
        ),
      ),
    ).not.toBe(base);
  });
});
