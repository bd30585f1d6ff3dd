/** HTTP against the running gateway (started by `npm test`), the way a client would call it. */
import { randomUUID } from "node:crypto";
import { gatewayPort } from "../../lib/environment";

export const baseUrl = () => `http://127.0.0.1:${gatewayPort()}`;

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function api<T = any>(
  method: string,
  path: string,
  options: { body?: unknown; token?: string; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined || options.rawBody !== undefined) headers["content-type"] = "application/json";
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const res = await fetch(`${baseUrl()}${path}`, {
    method,
    headers,
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body, headers: res.headers };
}

export interface TestCustomer {
  customerId: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

/** Registers a fresh customer and returns its tokens. */
export async function registerCustomer(overrides: Record<string, unknown> = {}): Promise<TestCustomer> {
  const email = `it-${randomUUID()}@example.com`;
  const password = "correct horse battery";
  const res = await api("POST", "/api/v1/account/auth/register", {
    body: { email, password, first_name: "Test", last_name: "Customer", address: "1 Test Street", phone_number: "0123456789", ...overrides },
  });
  if (res.status !== 201 && res.status !== 200) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { customerId: res.body.customer_id, email, password, accessToken: res.body.access_token, refreshToken: res.body.refresh_token };
}

/** Signs the customer in again with its password: what a client does once its refresh token is refused. */
export async function signIn(customer: TestCustomer): Promise<void> {
  const res = await api("POST", "/api/v1/account/auth/login", { body: { email: customer.email, password: customer.password } });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  customer.accessToken = res.body.access_token;
  customer.refreshToken = res.body.refresh_token;
}

/** A refresh the gateway did not answer with new tokens; a 5xx may be retried with the same refresh token. */
export class RefreshFailed extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Gives the customer a new token pair, as a client does before its access
 * token expires (15 min by default): a run longer than that would otherwise
 * see its requests refused with 401. The refresh token is used once.
 */
export async function refreshTokens(customer: TestCustomer): Promise<void> {
  const res = await api("POST", "/api/v1/account/auth/refresh", { body: { refresh_token: customer.refreshToken } });
  if (res.status !== 200) throw new RefreshFailed(res.status, `refresh failed: ${res.status} ${JSON.stringify(res.body)}`);
  customer.accessToken = res.body.access_token;
  customer.refreshToken = res.body.refresh_token;
}
