/** How a customer looks on the API: the personal and the delivery part of the profile, and a token pair. */
import type { Customer } from "./account-models";

export interface TokenPair {
  customer_id: string;
  access_token: string;
  refresh_token: string;
  token_type: "Bearer";
  expires_in: number;
}

export const personalView = (c: Customer) => ({ email: c.email, first_name: c.first_name, last_name: c.last_name });

export const deliveryView = (c: Customer) => ({ address: c.address, phone_number: c.phone_number });
