/** Every way a bearer token can be forged or misused is a 401 at the gateway. */
import jwt from "jsonwebtoken";
import { loadAuthConfig } from "../../../lib/auth/auth-config";
import { api, registerCustomer, type TestCustomer } from "../../support/http";

const config = loadAuthConfig();
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
let customer: TestCustomer;
let claims: Record<string, unknown>;

const personal = (token: string) => api("GET", "/api/v1/account/customer/personal", { token });

beforeAll(async () => {
  customer = await registerCustomer();
  claims = jwt.decode(customer.accessToken) as Record<string, unknown>;
});

test("the genuine access token is accepted (the baseline the forgeries differ from)", async () => {
  expect((await personal(customer.accessToken)).status).toBe(200);
});

test.each([
  ["a changed signature", () => customer.accessToken.slice(0, -4) + (customer.accessToken.endsWith("AAAA") ? "BBBB" : "AAAA")],
  [
    "a changed payload under the old signature",
    () => {
      const [h, , s] = customer.accessToken.split(".");
      return [h, base64url({ ...claims, sub: "00000000-0000-4000-8000-000000000000" }), s].join(".");
    },
  ],
  ["alg: none", () => `${base64url({ alg: "none", typ: "JWT" })}.${base64url(claims)}.`],
  ["another algorithm (HS512, same secret)", () => jwt.sign(claims, config.signingKey, { algorithm: "HS512" })],
  ["another secret", () => jwt.sign(claims, "someone-else-s-secret-of-sufficient-length!!", { algorithm: "HS256" })],
  // Earlier versions fell back to this published secret when none was configured.
  ["the former development default secret", () => jwt.sign(claims, "development-only-jwt-secret-never-use-in-production", { algorithm: "HS256" })],
  [
    "the former development default secret, as an admin",
    () => jwt.sign({ ...claims, role: "admin" }, "development-only-jwt-secret-never-use-in-production", { algorithm: "HS256" }),
  ],
  ["the wrong issuer", () => jwt.sign({ ...claims, iss: "evil" }, config.signingKey, { algorithm: "HS256" })],
  ["the wrong audience", () => jwt.sign({ ...claims, aud: "another-api" }, config.signingKey, { algorithm: "HS256" })],
  ["an expired token", () => jwt.sign({ ...claims, iat: 1_000_000, exp: 1_000_900 }, config.signingKey, { algorithm: "HS256" })],
  ["a refresh token used as an access token", () => customer.refreshToken],
])("%s is rejected with 401", async (_name, forge) => {
  const res = await personal(forge());
  expect(res.status).toBe(401);
  expect(res.body.error.status).toBe(401);
});

test("an access token is not accepted as a refresh token", async () => {
  const res = await api("POST", "/api/v1/account/auth/refresh", { body: { refresh_token: customer.accessToken } });
  expect(res.status).toBe(401);
});
