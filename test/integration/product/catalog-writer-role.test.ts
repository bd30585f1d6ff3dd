/** Catalog writes need a signed-in account, and only the configured role when CATALOG_WRITER_ROLE is set. */
import { randomUUID } from "node:crypto";
import type { ServiceBroker } from "moleculer";
import ProductService from "../../../services/product/product.service";
import { startBroker } from "../../support/broker";

let broker: ServiceBroker;
const as = (role: string) => ({ meta: { user: { id: randomUUID(), role } } });

beforeAll(async () => {
  broker = await startBroker([ProductService]);
});

afterAll(async () => {
  delete process.env.CATALOG_WRITER_ROLE;
  await broker.stop();
});

test("by default any signed-in account may write; nobody anonymous may", async () => {
  delete process.env.CATALOG_WRITER_ROLE;
  await expect(broker.call("product.createCategory", { name: `any-${randomUUID()}` }, as("customer"))).resolves.toMatchObject({ id: expect.any(Number) });
  await expect(broker.call("product.createCategory", { name: `anon-${randomUUID()}` })).rejects.toMatchObject({ code: 401 });
});

test("with CATALOG_WRITER_ROLE=admin a customer gets 403 and an admin writes", async () => {
  process.env.CATALOG_WRITER_ROLE = "admin";
  await expect(broker.call("product.createCategory", { name: `denied-${randomUUID()}` }, as("customer"))).rejects.toMatchObject({
    code: 403,
    type: "FORBIDDEN",
  });
  await expect(broker.call("product.createCategory", { name: `admin-${randomUUID()}` }, as("admin"))).resolves.toMatchObject({ id: expect.any(Number) });
});
