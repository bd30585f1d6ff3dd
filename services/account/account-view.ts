/**
 * How a customer looks on the API: the personal and the delivery part of the
 * profile, and a token pair. Each view is declared once as a schema: its type
 * is read off it, and the API document shows it.
 */
import { type Infer } from "../../lib/messages/message-declaration";
import type { Customer } from "./account-models";

export const tokenPairSchema = {
  customer_id: "uuid",
  access_token: "string",
  refresh_token: "string",
  token_type: { type: "equal", value: "Bearer" },
  /** Seconds the access token has left. */
  expires_in: { type: "number", integer: true, min: 0 },
} as const;
export type TokenPair = Infer<typeof tokenPairSchema>;

export const personalViewSchema = { email: "email", first_name: "string", last_name: "string" } as const;
export type PersonalView = Infer<typeof personalViewSchema>;

export const deliveryViewSchema = { address: "string", phone_number: "string" } as const;
export type DeliveryView = Infer<typeof deliveryViewSchema>;

export const personalView = (c: Customer): PersonalView => ({ email: c.email, first_name: c.first_name, last_name: c.last_name });

export const deliveryView = (c: Customer): DeliveryView => ({ address: c.address, phone_number: c.phone_number });
