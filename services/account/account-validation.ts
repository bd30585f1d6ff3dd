import type { ValidationSchema } from "fastest-validator";
import { oneLineText } from "../../lib/validation/text-rules";

/*
 * Request-body schemas for the account actions, usable directly as Moleculer action `params`.
 *
 * `$$strict: "remove"` rather than `true`: both guarantee undeclared fields (say `role: "admin"`)
 * never reach the handler, but moleculer-web merges query-string and route params into ctx.params,
 * and `true` would turn a harmless `?lang=en` into a 422.
 */

const email = {
  type: "email",
  mode: "precise",
  // Trimmed and lower-cased so uniqueness is case-insensitive.
  normalize: true,
  max: 254,
  messages: { email: "The '{field}' field must be a valid e-mail address." },
} as const;

const newPassword = { type: "string", min: 8, max: 128 } as const;

// Login accepts any length the policy ever allowed, so raising the minimum later does not lock anyone out.
const existingPassword = { type: "string", min: 1, max: 128 } as const;

const personName = oneLineText(100, 1);

const address = oneLineText(500, 1);

const phoneNumber = {
  type: "string",
  trim: true,
  pattern: /^\+?[0-9 ()-]{6,20}$/,
  messages: {
    stringPattern: "The '{field}' field must be a phone number: 6 to 20 of 0-9, space, ( ) -, optional leading +.",
  },
} as const;

export const registerSchema = {
  $$strict: "remove",
  email,
  password: newPassword,
  first_name: personName,
  last_name: personName,
  address,
  phone_number: phoneNumber,
} as const satisfies ValidationSchema;

export const loginSchema = {
  $$strict: "remove",
  email,
  password: existingPassword,
} as const satisfies ValidationSchema;

export const refreshSchema = {
  $$strict: "remove",
  // Bounded so a huge string never reaches the JWT parser; real tokens are well under 1 KiB.
  refresh_token: { type: "string", min: 1, max: 2048 },
} as const satisfies ValidationSchema;

export const personalUpdateSchema = {
  $$strict: "remove",
  first_name: personName,
  last_name: personName,
} as const satisfies ValidationSchema;

export const deliveryUpdateSchema = {
  $$strict: "remove",
  address,
  phone_number: phoneNumber,
} as const satisfies ValidationSchema;

export interface RegisterBody {
  email: string;
  password: string;
  first_name: string;
  last_name: string;
  address: string;
  phone_number: string;
}

export type LoginBody = Pick<RegisterBody, "email" | "password">;

export interface RefreshBody {
  refresh_token: string;
}

export type PersonalUpdateBody = Pick<RegisterBody, "first_name" | "last_name">;

export type DeliveryUpdateBody = Pick<RegisterBody, "address" | "phone_number">;
