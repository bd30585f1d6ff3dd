/**
 * An action that acts for a signed-in caller, called without one (a route
 * that forgot `authorization`, a call from another node), answers as the
 * gateway answers a request without a token: 401 NO_TOKEN, in every service.
 */
import { randomUUID } from "node:crypto";
import type { ServiceBroker } from "moleculer";
import OrderService from "../../../services/order/order.service";
import PaymentService from "../../../services/payment/payment.service";
import { createProductService } from "../../../services/product/product.service";
import { readProductSettings } from "../../../services/product/product-settings";
import { createPurchaseService } from "../../../services/purchase/purchase.service";
import { startBroker } from "../../support/broker";

let broker: ServiceBroker;

beforeAll(async () => {
  broker = await startBroker([OrderService, PaymentService, createProductService(readProductSettings({})), createPurchaseService()]);
});

afterAll(() => broker?.stop());

test.each([
  ["order.get", { id: randomUUID() }],
  ["payment.get", { id: randomUUID() }],
  ["purchase.get", { id: randomUUID() }],
  ["order.list", {}],
  ["payment.list", {}],
  ["payment.wallet", {}],
  ["purchase.list", {}],
  ["purchase.cancel", { id: randomUUID() }],
  ["purchase.create", { order_items: [{ product_id: 1, quantity: 1 }], payment: { currency_code: "VND" } }],
  ["product.createCategory", { name: `nobody-${randomUUID()}` }],
])("%s without a caller is 401 NO_TOKEN", async (action, params) => {
  await expect(broker.call(action, params)).rejects.toMatchObject({ code: 401, type: "NO_TOKEN" });
});
