/** Catalog writes need a signed-in account, and only the configured role when CATALOG_WRITER_ROLE is set. */
import { randomUUID } from "node:crypto";
import type { ServiceBroker } from "moleculer";
import { createProductService } from "../../../services/product/product.service";
import { readProductSettings } from "../../../services/product/product-settings";
import { startBroker } from "../../support/broker";

const as = (role: string) => ({ meta: { user: { id: randomUUID(), role } } });

/** A product service reading `env` as its environment (settings are read once, at start). */
async function productServiceWith(env: NodeJS.ProcessEnv): Promise<ServiceBroker> {
  return startBroker([createProductService(readProductSettings(env))]);
}

test("by default any signed-in account may write; nobody anonymous may", async () => {
  const broker = await productServiceWith({});
  try {
    await expect(broker.call("product.createCategory", { name: `any-${randomUUID()}` }, as("customer"))).resolves.toMatchObject({ id: expect.any(Number) });
    await expect(broker.call("product.createCategory", { name: `anon-${randomUUID()}` })).rejects.toMatchObject({ code: 401 });
  } finally {
    await broker.stop();
  }
});

test("with CATALOG_WRITER_ROLE=admin a customer gets 403 and an admin writes", async () => {
  const broker = await productServiceWith({ CATALOG_WRITER_ROLE: "admin" });
  try {
    await expect(broker.call("product.createCategory", { name: `denied-${randomUUID()}` }, as("customer"))).rejects.toMatchObject({
      code: 403,
      type: "FORBIDDEN",
    });
    await expect(broker.call("product.createCategory", { name: `admin-${randomUUID()}` }, as("admin"))).resolves.toMatchObject({ id: expect.any(Number) });
  } finally {
    await broker.stop();
  }
});
