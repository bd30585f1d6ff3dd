/** Messages the account service publishes on `account.events` (key: customer id). */
export const ACCOUNT_EVENTS_TOPIC = "account.events";

export interface CustomerRegistered {
  customerId: string;
  email: string;
  firstName: string;
  lastName: string;
  registeredAt: string;
}
