/**
 * A customer's history and wallet over HTTP, as a front-end reads them: each
 * customer sees their own purchases, orders, payments and movements, never
 * another's, and nobody sees any without a token.
 */
import { api, registerCustomer, type TestCustomer } from "../../support/http";
import { catalogProduct, purchaseWhenTerminal, startPurchase } from "../../support/purchases";

interface Bought {
  customer: TestCustomer;
  purchaseId: string;
  orderId: string;
  paymentId: string;
}

let alice: Bought;
let bob: Bought;

async function buyOne(productId: number): Promise<Bought> {
  const customer = await registerCustomer();
  const purchaseId = await startPurchase(customer.accessToken, [{ product_id: productId, quantity: 1 }]);
  const done = await purchaseWhenTerminal(customer.accessToken, purchaseId, 120_000);
  expect(done.status).toBe("COMPLETED");
  return { customer, purchaseId, orderId: done.order_id!, paymentId: done.payment_id! };
}

beforeAll(async () => {
  const seller = await registerCustomer();
  const productId = await catalogProduct(seller.accessToken, 2_500, 10);
  [alice, bob] = await Promise.all([buyOne(productId), buyOne(productId)]);
});

const idsOf = async (path: string, who: Bought) => {
  const res = await api<{ items: { id: string }[]; total: number }>("GET", path, { token: who.customer.accessToken });
  expect(res.status).toBe(200);
  return { ids: res.body.items.map((item) => item.id), total: res.body.total };
};

test.each([
  ["/api/v1/purchases", (b: Bought) => b.purchaseId],
  ["/api/v1/orders", (b: Bought) => b.orderId],
  ["/api/v1/payments", (b: Bought) => b.paymentId],
])("GET %s answers the caller's own rows only, and nothing without a token", async (path, idOf) => {
  expect(await idsOf(path, alice)).toEqual({ ids: [idOf(alice)], total: 1 });
  expect(await idsOf(path, bob)).toEqual({ ids: [idOf(bob)], total: 1 });
  expect((await api("GET", path)).body).toMatchObject({ error: { status: 401, type: "NO_TOKEN" } });
});

test("GET /api/v1/account/wallet shows the caller's own payment as a debit, and nothing without a token", async () => {
  const wallet = await api("GET", "/api/v1/account/wallet", { token: alice.customer.accessToken });
  expect(wallet.status).toBe(200);
  expect(wallet.body.movements).toEqual([
    expect.objectContaining({ kind: "PAYMENT", amount: -2_500, purchase_id: alice.purchaseId, payment_id: alice.paymentId }),
  ]);
  expect(wallet.body.balance).toBe(Number(process.env.WALLET_INITIAL_CREDIT || 100_000_000) - 2_500);
  expect((await api("GET", "/api/v1/account/wallet")).body).toMatchObject({ error: { status: 401, type: "NO_TOKEN" } });
});
