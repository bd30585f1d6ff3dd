/** Messages the account service publishes on `account.events` (key: customer id). */
export const ACCOUNT_EVENTS_TOPIC = "account.events";

/** The message types on `account.events`. */
export const ACCOUNT_EVENT_TYPES = { CustomerRegistered: "CustomerRegistered" } as const;

export interface CustomerRegistered {
  customerId: string;
  email: string;
  firstName: string;
  lastName: string;
  registeredAt: string;
}
