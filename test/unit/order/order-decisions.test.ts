import type { CreateOrder } from "../../../contracts/purchase-saga";
import { OrderNotApprovableError, orderDefect, replyToCancel, replyToExistingOrder, replyToUnapprovable } from "../../../services/order/order-decisions";

const purchaseId = "3f1c2a9e-8d4b-4c1e-9a7f-2b6d5e8c1a01";
const orderId = "9b2e4c7a-1f3d-4e8b-a6c5-7d9e0f1a2b3c";

const command = (overrides: Partial<CreateOrder> = {}): CreateOrder => ({
  purchaseId,
  customerId: "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
  items: [
    { productId: 1, quantity: 4, unitPrice: 1390 },
    { productId: 2, quantity: 5, unitPrice: 3780 },
  ],
  amount: 24460,
  currency: "VND",
  ...overrides,
});

describe("orderDefect", () => {
  it("finds nothing wrong with an order whose amount is its items' total", () => {
    expect(orderDefect(command())).toBeNull();
  });

  it("accepts a free order", () => {
    expect(orderDefect(command({ items: [{ productId: 1, quantity: 1, unitPrice: 0 }], amount: 0 }))).toBeNull();
  });

  it("refuses an amount that is not the items' total", () => {
    expect(orderDefect(command({ amount: 24461 }))).toBe("the amount 24461 is not the items' total 24460");
  });

  it("refuses items that name a product twice", () => {
    const items = [
      { productId: 1, quantity: 1, unitPrice: 10 },
      { productId: 1, quantity: 2, unitPrice: 10 },
    ];
    expect(orderDefect(command({ items, amount: 30 }))).toMatch(/more than once/);
  });

  it("totals exactly where floating point would round: 3 × 3002399751580331 is not 2^53", () => {
    const items = [{ productId: 1, quantity: 3, unitPrice: 3002399751580331 }];
    expect(3 * 3002399751580331).toBe(2 ** 53); // what a float total would wrongly accept
    expect(orderDefect(command({ items, amount: 2 ** 53 }))).toMatch(/items' total 9007199254740993/);
  });
});

describe("replyToExistingOrder", () => {
  it.each(["CREATED", "APPROVED"] as const)("answers a re-sent CreateOrder for a %s order with that order", (status) => {
    expect(replyToExistingOrder({ id: orderId, purchase_id: purchaseId, status })).toEqual({ type: "OrderCreated", payload: { purchaseId, orderId } });
  });

  it("rejects a CreateOrder whose purchase was cancelled", () => {
    expect(replyToExistingOrder({ id: orderId, purchase_id: purchaseId, status: "CANCELLED" })).toEqual({
      type: "OrderRejected",
      payload: { purchaseId, reason: expect.stringMatching(/cancelled/) },
    });
  });
});

describe("replyToUnapprovable", () => {
  it("answers a re-sent ApproveOrder for an approved order with OrderApproved", () => {
    expect(replyToUnapprovable(purchaseId, { id: orderId, purchase_id: purchaseId, status: "APPROVED" })).toEqual({
      type: "OrderApproved",
      payload: { purchaseId, orderId },
    });
  });

  it("refuses to approve a cancelled order", () => {
    expect(() => replyToUnapprovable(purchaseId, { id: orderId, purchase_id: purchaseId, status: "CANCELLED" })).toThrow(OrderNotApprovableError);
  });

  it("refuses to approve an order that does not exist", () => {
    expect(() => replyToUnapprovable(purchaseId, undefined)).toThrow(/has no order/);
  });
});

describe("replyToCancel", () => {
  it("answers OrderCancelled when the order is now CANCELLED (cancelled, or a tombstone)", () => {
    expect(replyToCancel(purchaseId, { id: orderId, purchase_id: purchaseId, status: "CANCELLED" })).toEqual({
      type: "OrderCancelled",
      payload: { purchaseId },
    });
  });

  it("refuses to call an approved order cancelled", () => {
    expect(replyToCancel(purchaseId, { id: orderId, purchase_id: purchaseId, status: "APPROVED" })).toEqual({
      type: "OrderNotCancellable",
      payload: { purchaseId, orderId, reason: `order ${orderId} is already APPROVED` },
    });
  });

  it("does not call an order still CREATED cancelled: that would be a broken store", () => {
    expect(() => replyToCancel(purchaseId, { id: orderId, purchase_id: purchaseId, status: "CREATED" })).toThrow(/still CREATED/);
  });
});
