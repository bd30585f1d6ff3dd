/** Every service started by the stack serves Prometheus metrics, including the Kafka channels' message counts. */
import { serviceNames } from "../../../stack/services";
import { registerCustomer } from "../../support/http";
import { metricValue, scrape } from "../../support/metrics";
import { catalogProduct, purchaseWhenTerminal, startPurchase } from "../../support/purchases";

test.each(serviceNames())("%s serves Prometheus metrics on its port", async (name) => {
  expect(await scrape(name)).toMatch(new RegExp(`^moleculer_registry_nodes_total\\{namespace="[^"]*",nodeID="${name}-\\d+"\\} \\d+$`, "m"));
});

test("a purchase moves the orchestrator's channel and the purchase service's request metrics", async () => {
  const customer = await registerCustomer();
  const productId = await catalogProduct(customer.accessToken, 10, 5);
  const replies = () => metricValue("orchestrator", "moleculer_channels_messages_total", { channel: "saga.replies" });
  const creates = () => metricValue("purchase", "moleculer_request_total", { action: "purchase.create" });
  const before = { replies: await replies(), creates: await creates() };

  const purchase = await purchaseWhenTerminal(customer.accessToken, await startPurchase(customer.accessToken, [{ product_id: productId, quantity: 1 }]));
  expect(purchase.status).toBe("COMPLETED");

  expect(await replies()).toBeGreaterThan(before.replies);
  expect(await creates()).toBeGreaterThan(before.creates);
});
