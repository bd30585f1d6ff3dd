/**
 * A crowd signs up and logs in at the same moment. Every client gets an
 * answer it can act on before the gateway gives up: 201 (the account exists)
 * or 503 with Retry-After (nothing was written: retry). Never a 504 that
 * leaves it guessing, never another 5xx. Stored hashes are argon2id, and a
 * password stored as scrypt by the earlier version is moved to argon2id at its
 * owner's next login.
 */
import { randomBytes, randomUUID, scryptSync } from "node:crypto";
import knex from "knex";
import { databaseUrl } from "../../../lib/environment";
import { api, registerCustomer, type ApiResponse } from "../../support/http";
import { waitUntil } from "../../support/wait";

const accountDb = knex({ client: "pg", connection: databaseUrl("account"), pool: { min: 0, max: 2 } });
afterAll(() => accountDb.destroy());

const CROWD = 50;
const PASSWORD = "correct horse battery";

function signUpBody(email: string) {
  return { email, password: PASSWORD, first_name: "Crowd", last_name: "Member", address: "1 Queue Street", phone_number: "0123456789" };
}

/** The request until it is not a 503; every 503 on the way must carry Retry-After. */
async function untilServed(send: () => Promise<ApiResponse>): Promise<ApiResponse> {
  return waitUntil(
    "an answer other than 503",
    async () => {
      const res = await send();
      if (res.status !== 503) return res;
      expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
      return false;
    },
    120_000,
    250,
  );
}

test("50 sign-ups at once: each answered 201 or 503-then-201, each account stored with argon2id; then 50 logins at once", async () => {
  const emails = Array.from({ length: CROWD }, () => `crowd-${randomUUID()}@example.com`);
  const firstAnswers = await Promise.all(emails.map((email) => api("POST", "/api/v1/account/auth/register", { body: signUpBody(email) })));
  expect(firstAnswers.filter((a) => a.status !== 201 && a.status !== 503).map((a) => `${a.status} ${JSON.stringify(a.body)}`)).toEqual([]);

  // A 503 wrote nothing, so its retry registers the same email without a conflict.
  const signedUp = await Promise.all(
    emails.map((email, i) =>
      firstAnswers[i].status === 201 ? firstAnswers[i] : untilServed(() => api("POST", "/api/v1/account/auth/register", { body: signUpBody(email) })),
    ),
  );
  expect(signedUp.map((a) => a.status)).toEqual(Array(CROWD).fill(201));

  const stored = await accountDb("credentials as k").join("customers as c", "c.id", "k.customer_id").whereIn("c.email", emails).select("k.password_hash");
  expect(stored).toHaveLength(CROWD);
  expect(stored.every((row) => row.password_hash.startsWith("$argon2id$"))).toBe(true);

  const logins = await Promise.all(
    emails.map((email) => untilServed(() => api("POST", "/api/v1/account/auth/login", { body: { email, password: PASSWORD } }))),
  );
  expect(logins.map((a) => a.status)).toEqual(Array(CROWD).fill(200));
  expect(new Set(logins.map((a) => a.body.customer_id))).toEqual(new Set(signedUp.map((a) => a.body.customer_id)));
});

test("a password stored as scrypt by the earlier version still logs in, and is stored as argon2id from then on", async () => {
  const customer = await registerCustomer();
  const salt = randomBytes(16);
  const legacy = [
    "scrypt",
    2 ** 14,
    8,
    1,
    salt.toString("base64"),
    scryptSync(customer.password, salt, 32, { N: 2 ** 14, r: 8, p: 1 }).toString("base64"),
  ].join("$");
  await accountDb("credentials").where({ customer_id: customer.customerId }).update({ password_hash: legacy });

  const wrong = await api("POST", "/api/v1/account/auth/login", { body: { email: customer.email, password: "not the password" } });
  expect(wrong.status).toBe(401);
  expect((await accountDb("credentials").where({ customer_id: customer.customerId }).first("password_hash")).password_hash).toBe(legacy);

  const right = await api("POST", "/api/v1/account/auth/login", { body: { email: customer.email, password: customer.password } });
  expect(right.status).toBe(200);
  const rehashed = (await accountDb("credentials").where({ customer_id: customer.customerId }).first("password_hash")).password_hash;
  expect(rehashed).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  const again = await api("POST", "/api/v1/account/auth/login", { body: { email: customer.email, password: customer.password } });
  expect(again.status).toBe(200);
});
