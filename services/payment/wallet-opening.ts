/** A registered customer gets a wallet with the store's starting credit (CustomerRegistered on account.events). */
import { CustomerRegistered } from "../../contracts/account";
import type { MessageHandler } from "../../lib/inbox/idempotent-consumer";
import { openWallets } from "./payment-store";
import { storeCurrency } from "../../lib/environment";

export interface WalletSettings {
  /** Minor units credited to every new wallet. */
  initialCredit: number;
  currency: string;
}

/** From WALLET_INITIAL_CREDIT (default 100000000) and STORE_CURRENCY (default VND); an unusable credit stops the service at start. */
export function walletSettings(env: NodeJS.ProcessEnv = process.env): WalletSettings {
  const credit = env.WALLET_INITIAL_CREDIT || "100000000";
  const initialCredit = Number(credit);
  if (!/^\d+$/.test(credit) || !Number.isSafeInteger(initialCredit)) {
    throw new Error(`WALLET_INITIAL_CREDIT must be a whole number of minor units, not ${JSON.stringify(credit)}`);
  }
  return { initialCredit, currency: storeCurrency(env) };
}

export function accountEventHandlers(settings: WalletSettings): Record<string, MessageHandler<CustomerRegistered>> {
  return {
    [CustomerRegistered.name]: {
      schema: CustomerRegistered.schema,
      async handle(trx, message) {
        await openWallets(trx, [message.payload.customerId], settings.initialCredit, settings.currency);
      },
    },
  };
}
