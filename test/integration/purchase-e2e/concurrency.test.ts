/**
 * 200 purchases at once for a product with stock for 50: exactly 50
 * complete, 150 fail, stock ends at 0 and never goes below it.
 */
import { api, registerCustomer, type TestCustomer } from "../../support/http";
import { checkPurchaseInvariants } from "../../support/invariants";
import { buyAtOnce, catalogProduct } from "../../support/purchases";

test("200 concurrent purchases of a product with 50 in stock: 50 complete, 150 fail", async () => {
  const customers: TestCustomer[] = await Promise.all(Array.from({ length: 10 }, () => registerCustomer()));
  const productId = await catalogProduct(customers[0].accessToken, 1_000, 50);

  const purchases = await buyAtOnce(customers, productId, 200);
  const outcomes = purchases.map((p) => p.view);

  expect(outcomes.filter((p) => p.status === "COMPLETED")).toHaveLength(50);
  expect(outcomes.filter((p) => p.status === "FAILED")).toHaveLength(150);
  expect((await api("GET", `/api/v1/products/${productId}`)).body.inventory).toBe(0);
  const report = await checkPurchaseInvariants({
    purchaseIds: purchases.map((p) => p.id),
    initialStock: new Map([[productId, 50]]),
    customerIds: customers.map((c) => c.customerId),
  });
  expect(report).toEqual({ completed: 50, failed: 150, violations: [] });
}, 300_000);
