/** Messages the account service publishes on `account.events` (key: customer id). */
import { declareMessage, type PayloadOf } from "../lib/messages/message-declaration";
import { ACCOUNT_EVENTS_TOPIC } from "./topics";

/** A customer signed up: the payment service opens their wallet. */
export const CustomerRegistered = declareMessage("CustomerRegistered", ACCOUNT_EVENTS_TOPIC, {
  customerId: "uuid",
  email: "string",
  firstName: "string",
  lastName: "string",
  registeredAt: "string",
});
export type CustomerRegistered = PayloadOf<typeof CustomerRegistered>;
