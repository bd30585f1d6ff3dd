/** How a customer looks on the API: the personal and the delivery part of the profile, and a token pair. */
import type { Role } from "../../lib/auth/token-service";

export interface CustomerRow {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
  address: string;
  phone_number: string;
  role: Role;
}

export interface TokenPair {
  customer_id: string;
  access_token: string;
  refresh_token: string;
  token_type: "Bearer";
  expires_in: number;
}

export const personalView = (c: CustomerRow) => ({ email: c.email, first_name: c.first_name, last_name: c.last_name });

export const deliveryView = (c: CustomerRow) => ({ address: c.address, phone_number: c.phone_number });
