import { walletSettings } from "../../../services/payment/wallet-opening";

describe("walletSettings", () => {
  it("defaults to a credit of 100000000 VND, also for empty variables", () => {
    expect(walletSettings({})).toEqual({ initialCredit: 100_000_000, currency: "VND" });
    expect(walletSettings({ WALLET_INITIAL_CREDIT: "", STORE_CURRENCY: "" })).toEqual({ initialCredit: 100_000_000, currency: "VND" });
  });

  it("takes WALLET_INITIAL_CREDIT and STORE_CURRENCY", () => {
    expect(walletSettings({ WALLET_INITIAL_CREDIT: "0", STORE_CURRENCY: "EUR" })).toEqual({ initialCredit: 0, currency: "EUR" });
  });

  it.each(["-5", "12.5", "1e6", "lots", String(2 ** 53)])("refuses WALLET_INITIAL_CREDIT=%s", (credit) => {
    expect(() => walletSettings({ WALLET_INITIAL_CREDIT: credit })).toThrow(/WALLET_INITIAL_CREDIT/);
  });
});
