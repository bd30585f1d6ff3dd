/** The stack's Prometheus scrapes every service, and PromQL over its HTTP API gives the saga rate. */
import { serviceNames } from "../../../stack/services";
import { registerCustomer } from "../../support/http";
import { catalogProduct, purchaseWhenTerminal, startPurchase } from "../../support/purchases";
import { waitUntil } from "../../support/wait";

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(promql: string): Promise<Sample[]> {
  const res = await fetch(`${process.env.PROMETHEUS_URL}/api/v1/query?query=${encodeURIComponent(promql)}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { status: string; data: { result: Sample[] } };
  expect(body.status).toBe("success");
  return body.data.result;
}

test("every service is scraped, and a saga rate comes back from PromQL once purchases complete", async () => {
  expect(process.env.PROMETHEUS_URL).toBeDefined();
  await waitUntil(
    "Prometheus to scrape every service",
    async () => {
      const up = await query('up{job="shop"}');
      return up.length === serviceNames().length && up.every((s) => s.value[1] === "1");
    },
    60_000,
    1_000,
  );
  const customer = await registerCustomer();
  const productId = await catalogProduct(customer.accessToken, 100, 10);
  const buy = async () => {
    const done = await purchaseWhenTerminal(customer.accessToken, await startPurchase(customer.accessToken, [{ product_id: productId, quantity: 1 }]));
    expect(done.status).toBe("COMPLETED");
  };
  // A rate needs two scrapes of the counter with a rise between them: one purchase makes the series, the next one moves it.
  await buy();
  await waitUntil("the counter to be scraped", async () => (await query("shop_sagas_completed_total")).length > 0, 60_000, 1_000);
  await buy();
  const rate = await waitUntil(
    "a saga rate above zero",
    async () => {
      const [sample] = await query('sum(rate(shop_sagas_completed_total{saga="purchase"}[1m]))');
      return sample !== undefined && Number(sample.value[1]) > 0 && Number(sample.value[1]);
    },
    60_000,
    1_000,
  );
  expect(rate).toBeGreaterThan(0);
});
