import { readPurchaseSettings } from "../../../services/purchase/purchase-settings";

test("re-publishes PurchaseCreated after two minutes by default", () => {
  expect(readPurchaseSettings({})).toEqual({ pendingRepublishMs: 120_000 });
});

test("takes PURCHASE_PENDING_REPUBLISH_MS", () => {
  expect(readPurchaseSettings({ PURCHASE_PENDING_REPUBLISH_MS: "5000" })).toEqual({ pendingRepublishMs: 5_000 });
});

test.each(["0", "999", "-5000", "5s", "2500.5", "NaN"])("refuses PURCHASE_PENDING_REPUBLISH_MS=%s", (raw) => {
  expect(() => readPurchaseSettings({ PURCHASE_PENDING_REPUBLISH_MS: raw })).toThrow(/PURCHASE_PENDING_REPUBLISH_MS must be an integer of at least 1000/);
});
