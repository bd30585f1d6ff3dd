/**
 * Cancelling over HTTP on the running system, at the moments a customer
 * could: with the purchase, while stock and order are being secured, while
 * the payment is being taken (the race the saga decides by what it sees
 * first), and once paid. Whatever the moment, the answer and the end agree
 * and nothing is half-done: no order approved and no money kept for a
 * cancelled purchase.
 */
import knex from "knex";
import { CANCELLED_BY_CUSTOMER } from "../../../contracts/purchase-saga";
import { databaseUrl } from "../../../lib/environment";
import type { PurchaseView } from "../../../services/purchase/purchase-view";
import { api, registerCustomer, type TestCustomer } from "../../support/http";
import { checkPurchaseInvariants } from "../../support/invariants";
import { catalogProduct, purchaseWhenTerminal, readPurchaseEvents, startPurchase } from "../../support/purchases";
import { waitUntil } from "../../support/wait";

const orchestratorDb = knex({ client: "pg", connection: databaseUrl("orchestrator"), pool: { min: 0, max: 2 } });
const STOCK = 1_000;
let customer: TestCustomer;
let productId: number;
const purchaseIds: string[] = [];

beforeAll(async () => {
  customer = await registerCustomer();
  productId = await catalogProduct(customer.accessToken, 1_000, STOCK);
});

afterAll(async () => {
  const report = await checkPurchaseInvariants({ purchaseIds, initialStock: new Map([[productId, STOCK]]), customerIds: [customer.customerId] });
  await orchestratorDb.destroy();
  expect(report.violations).toEqual([]);
});

const buy = async () => {
  const id = await startPurchase(customer.accessToken, [{ product_id: productId, quantity: 1 }]);
  purchaseIds.push(id);
  return id;
};
const cancel = (id: string) => api<PurchaseView & { error?: { type: string } }>("POST", `/api/v1/purchases/${id}/cancel`, { token: customer.accessToken });
const get = async (id: string) => (await api<PurchaseView>("GET", `/api/v1/purchases/${id}`, { token: customer.accessToken })).body;
const cancelsLogged = (id: string) =>
  orchestratorDb("saga_log").where({ saga_id: id }).whereIn("kind", ["cancel_accepted", "cancel_refused"]).select("kind", "detail");

type Outcome = "cancelled" | "refused by the saga" | "refused at the door: ALREADY_PAID" | "refused at the door: PURCHASE_ENDED";

/**
 * Cancels `id` once `ready` holds and follows it to its end; checks that the
 * answer, the end and the saga log agree, and says how it ended.
 */
async function cancelWhen(id: string, ready: (view: PurchaseView) => boolean): Promise<Outcome> {
  await waitUntil(`purchase ${id} to reach the moment`, async () => ready(await get(id)), 60_000);
  const answer = await cancel(id);
  const end = await purchaseWhenTerminal(customer.accessToken, id, 120_000);
  if (answer.status === 409) {
    expect(end.status).toBe("COMPLETED");
    expect(await cancelsLogged(id)).toEqual([]);
    return `refused at the door: ${answer.body.error!.type}` as Outcome;
  }
  expect(answer.status).toBe(202);
  // A saga may end before it reads the cancel (a reply's transaction won the saga's row first), which it then refuses.
  const logged = await waitUntil(
    `the saga of ${id} to log the cancel`,
    async () => {
      const rows = await cancelsLogged(id);
      return rows.length > 0 && rows;
    },
    120_000,
  );
  expect(end.cancel_requested_at).toBe(answer.body.cancel_requested_at);
  if (end.status === "FAILED") {
    expect(end.failure_reason).toBe(CANCELLED_BY_CUSTOMER);
    expect(logged).toEqual([{ kind: "cancel_accepted", detail: { requestedBy: customer.customerId, reason: CANCELLED_BY_CUSTOMER } }]);
    return "cancelled";
  }
  expect(end.status).toBe("COMPLETED");
  expect(logged).toEqual([
    { kind: "cancel_refused", detail: { requestedBy: customer.customerId, reason: expect.stringMatching(/pivot has succeeded|already ended \(COMPLETED\)/) } },
  ]);
  return "refused by the saga";
}

/** How many runs ended each way, printed for the record (the figures of the note). */
function tally(moment: string, outcomes: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
  console.log(`cancel ${moment}: ${JSON.stringify(counts)}`);
  return counts;
}

const RUNS = 10;
const runs = <T>(run: () => Promise<T>) => Promise.all(Array.from({ length: RUNS }, run));

test("a cancel sent with the purchase: its stream shows the request, then the end the saga decided", async () => {
  const id = await buy();
  const [outcome, shown] = await Promise.all([cancelWhen(id, () => true), readPurchaseEvents(customer.accessToken, id)]);
  const requested = shown.findIndex((view) => view.cancel_requested_at !== null);
  expect(requested).toBeGreaterThanOrEqual(0);
  expect(shown.at(-1)).toMatchObject(outcome === "cancelled" ? { status: "FAILED", payment_id: null } : { status: "COMPLETED" });
});

test("cancels sent at the same moment as their purchases", async () => {
  const outcomes = await runs(async () => cancelWhen(await buy(), () => true));
  tally("with the purchase", outcomes);
  expect(outcomes).toHaveLength(RUNS);
});

test("cancels racing the payment: each ends as the saga saw it first, answer and end agreeing", async () => {
  const outcomes = await runs(async () => cancelWhen(await buy(), (view) => view.step === "take-payment"));
  tally("while the payment is taken", outcomes);
  expect(outcomes).toHaveLength(RUNS);
});

test("once paid, a cancel is refused and the purchase completes; asked again after the end, 409 PURCHASE_ENDED", async () => {
  const outcomes = await runs(async () => cancelWhen(await buy(), (view) => view.step === "approve-order" || view.status === "COMPLETED"));
  tally("once paid", outcomes);
  expect(outcomes.every((outcome) => outcome.startsWith("refused"))).toBe(true);
  const ended = purchaseIds.at(-1)!;
  expect((await cancel(ended)).body).toMatchObject({ error: { status: 409, type: "PURCHASE_ENDED" } });
});
