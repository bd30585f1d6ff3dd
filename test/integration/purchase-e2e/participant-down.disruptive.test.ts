/**
 * A participant that does not answer for long: the payment service is frozen
 * (SIGSTOP) while a purchase runs. Its queue stays unread, so the step's
 * deadline waits, up to SAGA_DEADLINE_MAX_POSTPONE_MS (short under test);
 * then the saga re-sends and, still unanswered, compensates. Once the service
 * is back (SIGCONT) the late charge is refunded and the purchase ends FAILED
 * with nothing half-done.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { servicesDir } from "../../../stack/layout";
import { api, registerCustomer } from "../../support/http";
import { checkPurchaseInvariants } from "../../support/invariants";
import { catalogProduct, purchaseWhenTerminal, startPurchase } from "../../support/purchases";
import { waitUntil } from "../../support/wait";

const paymentPid = () => Number(readFileSync(path.join(servicesDir, "payment.pid"), "utf8"));

test("the payment step's deadline fires, the saga compensates, and the late charge is refunded", async () => {
  const customer = await registerCustomer();
  const token = customer.accessToken;
  const productId = await catalogProduct(token, 5_000, 10);
  // A purchase before the freeze: the participants are all up and the wallet is open.
  const before = await startPurchase(token, [{ product_id: productId, quantity: 1 }]);
  expect((await purchaseWhenTerminal(token, before)).status).toBe("COMPLETED");

  const pid = paymentPid();
  process.kill(pid, "SIGSTOP");
  let id: string;
  try {
    id = await startPurchase(token, [{ product_id: productId, quantity: 2 }]);
    await waitUntil(
      "the saga to give up on payment and compensate",
      async () => {
        const res = await api("GET", `/api/v1/purchases/${id}`, { token });
        return res.body.status === "COMPENSATING";
      },
      180_000,
    );
  } finally {
    process.kill(pid, "SIGCONT");
  }

  const done = await purchaseWhenTerminal(token, id, 180_000);
  expect(done.status).toBe("FAILED");
  expect(done.failure_reason).toMatch(/take-payment.*no reply/);
  expect((await api("GET", `/api/v1/products/${productId}`)).body.inventory).toBe(9);
  // Among them: the wallet paid for the first purchase only; the frozen one's late charge was refunded.
  const report = await checkPurchaseInvariants({ purchaseIds: [before, id], initialStock: new Map([[productId, 10]]), customerIds: [customer.customerId] });
  expect(report).toEqual({ completed: 1, failed: 1, violations: [] });
}, 420_000);
