/**
 * The shop's own metrics move by what happened: one purchase that completes
 * and one that the payment declines (so two steps are compensated), read off
 * the services' /metrics before and after.
 */
import { api, registerCustomer } from "../../support/http";
import { metricValue, scrape } from "../../support/metrics";
import { catalogProduct, purchaseWhenTerminal, startPurchase } from "../../support/purchases";

const WATCHED = {
  accepted: ["purchase", "shop_purchases_accepted_total", {}],
  started: ["orchestrator", "shop_sagas_started_total", { saga: "purchase" }],
  completed: ["orchestrator", "shop_sagas_completed_total", { saga: "purchase" }],
  failed: ["orchestrator", "shop_sagas_failed_total", { saga: "purchase" }],
  paymentFailed: ["orchestrator", "shop_saga_steps_failed_total", { step: "take-payment" }],
  orderCompensated: ["orchestrator", "shop_saga_compensations_total", { step: "create-order" }],
  reservationCompensated: ["orchestrator", "shop_saga_compensations_total", { step: "reserve-inventory" }],
  reserveTimed: ["orchestrator", "shop_saga_step_seconds_count", { step: "reserve-inventory", direction: "forward" }],
  posted: ["api", "shop_http_requests_total", { method: "POST", route: "/api/v1/purchases", status: "202" }],
  postTimed: ["api", "shop_http_request_seconds_count", { method: "POST", route: "/api/v1/purchases" }],
  productReads: ["product", "shop_product_reads_total", {}],
  absentReads: ["product", "shop_product_reads_total", { outcome: "absent" }],
} as const;

async function snapshot(): Promise<Record<keyof typeof WATCHED, number>> {
  const entries = await Promise.all(
    Object.entries(WATCHED).map(async ([key, [service, name, labels]]) => [key, await metricValue(service, name, labels)] as const),
  );
  return Object.fromEntries(entries) as Record<keyof typeof WATCHED, number>;
}

test("a completed and a declined purchase move the saga, step, HTTP and cache metrics by what they did", async () => {
  const customer = await registerCustomer();
  const affordable = await catalogProduct(customer.accessToken, 1_000, 5);
  // More than a new wallet holds (WALLET_INITIAL_CREDIT): the payment declines, the order and the reservation are undone.
  const unaffordable = await catalogProduct(customer.accessToken, 500_000_000, 5);
  const before = await snapshot();

  expect((await api("GET", `/api/v1/products/${affordable}`)).status).toBe(200);
  // Ids nobody created: the cuckoo filter refuses nearly all of them (a false positive is read and found missing).
  for (const id of [987654321, 987654322, 987654323, 987654324, 987654325]) expect((await api("GET", `/api/v1/products/${id}`)).status).toBe(404);
  const done = await purchaseWhenTerminal(customer.accessToken, await startPurchase(customer.accessToken, [{ product_id: affordable, quantity: 1 }]));
  const declined = await purchaseWhenTerminal(customer.accessToken, await startPurchase(customer.accessToken, [{ product_id: unaffordable, quantity: 1 }]));
  expect([done.status, declined.status]).toEqual(["COMPLETED", "FAILED"]);

  // The orchestrator counts after each commit; the sagas' ends reached the purchase service through Kafka after that.
  const after = await snapshot();
  const moved = Object.fromEntries(Object.keys(WATCHED).map((key) => [key, after[key as keyof typeof WATCHED] - before[key as keyof typeof WATCHED]]));
  // Only this test makes purchases while it runs: these are exact.
  expect({ accepted: moved.accepted, posted: moved.posted, postTimed: moved.postTimed }).toEqual({ accepted: 2, posted: 2, postTimed: 2 });
  // A saga left over from an earlier test may still move: at least these.
  expect(moved.started).toBeGreaterThanOrEqual(2);
  expect(moved.completed).toBeGreaterThanOrEqual(1);
  expect(moved.failed).toBeGreaterThanOrEqual(1);
  expect(moved.paymentFailed).toBeGreaterThanOrEqual(1);
  expect(moved.orderCompensated).toBeGreaterThanOrEqual(1);
  expect(moved.reservationCompensated).toBeGreaterThanOrEqual(1);
  expect(moved.reserveTimed).toBeGreaterThanOrEqual(2);
  expect(moved.productReads).toBeGreaterThanOrEqual(6);
  expect(moved.absentReads).toBeGreaterThanOrEqual(1);
});

test.each(["account", "product", "order", "payment", "purchase", "orchestrator"])("%s reports how far its outbox is behind Kafka", async (service) => {
  const text = await scrape(service);
  expect(text).toMatch(new RegExp(`^shop_outbox_slot_lag_bytes\\{[^}]*database="${service}"[^}]*\\} \\d+$`, "m"));
});

test("the orchestrator reports each saga topic's consumer lag", async () => {
  const text = await scrape("orchestrator");
  for (const [topic, group] of [
    ["product.commands", "product:product.commands"],
    ["order.commands", "order:order.commands"],
    ["payment.commands", "payment:payment.commands"],
    ["saga.replies", "orchestrator:saga.replies"],
  ]) {
    expect(text).toMatch(new RegExp(`^shop_kafka_consumer_lag\\{[^}]*topic="${topic.replace(".", "\\.")}",group="${group.replace(".", "\\.")}"\\} \\d+$`, "m"));
  }
});
