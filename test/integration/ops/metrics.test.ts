/** Every service started by the stack serves Prometheus metrics, including the Kafka channels' message counts. */
import { metricsPortOf, serviceNames } from "../../../stack/services";
import { registerCustomer } from "../../support/http";
import { catalogProduct, purchaseWhenTerminal, startPurchase } from "../../support/purchases";

const metricsOf = async (name: string) => {
  const res = await fetch(`http://127.0.0.1:${metricsPortOf(name)}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
};

test.each(serviceNames())("%s serves Prometheus metrics on its port", async (name) => {
  const text = await metricsOf(name);
  expect(text).toMatch(new RegExp(`^moleculer_registry_nodes_total\\{namespace="[^"]*",nodeID="${name}-\\d+"\\} \\d+$`, "m"));
});

test("a purchase shows in the orchestrator's channel and the gateway's request metrics", async () => {
  const customer = await registerCustomer();
  const productId = await catalogProduct(customer.accessToken, 10, 5);
  await purchaseWhenTerminal(customer.accessToken, await startPurchase(customer.accessToken, [{ product_id: productId, quantity: 1 }]));

  expect(await metricsOf("orchestrator")).toMatch(/^moleculer_channels_messages_total\{[^}]*channel="saga\.replies"[^}]*\} [1-9]\d*$/m);
  expect(await metricsOf("purchase")).toMatch(/^moleculer_request_total\{[^}]*action="purchase\.create"[^}]*\} [1-9]\d*$/m);
});
