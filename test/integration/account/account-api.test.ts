/**
 * The account API over real HTTP: the seed's curl requests as written,
 * validation at the edge, conflicts, profile reads and updates, refresh-token
 * rotation with reuse detection, and CustomerRegistered reaching Kafka.
 */
import { randomUUID } from "node:crypto";
import knex from "knex";
import { databaseUrl } from "../../../lib/environment";

import { api, registerCustomer } from "../../support/http";
import { collectTopic, headerValue } from "../../support/kafka";
import { SEED_EMAIL, SEED_LOGIN, SEED_REGISTER } from "../../support/seed";
import { waitUntil } from "../../support/wait";
import { ACCOUNT_EVENTS_TOPIC } from "../../../contracts/topics";

const accountDb = knex({ client: "pg", connection: databaseUrl("account"), pool: { min: 0, max: 2 } });
const customerCount = async () => Number((await accountDb("customers").count<{ count: string }[]>("* as count"))[0].count);

afterAll(() => accountDb.destroy());

describe("the seed walkthrough", () => {
  beforeAll(async () => {
    // The seed uses one fixed email: start from a database that does not have it yet.
    await accountDb("customers").whereRaw("lower(email) = ?", [SEED_EMAIL]).delete();
  });

  test("register and login as written return a token pair that reads and updates the profile", async () => {
    const registered = await api("POST", "/api/v1/account/auth/register", { rawBody: SEED_REGISTER });
    expect(registered.status).toBe(201);
    expect(registered.body).toEqual({
      customer_id: expect.any(String),
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      token_type: "Bearer",
      expires_in: expect.any(Number),
    });

    const login = await api("POST", "/api/v1/account/auth/login", { rawBody: SEED_LOGIN });
    expect(login.status).toBe(200);
    expect(login.body.customer_id).toBe(registered.body.customer_id);
    const token = login.body.access_token;

    expect((await api("GET", "/api/v1/account/customer/personal", { token })).body).toEqual({
      email: "deptrai123@gmail.com",
      first_name: "dep",
      last_name: "trai",
    });
    expect((await api("GET", "/api/v1/account/customer/delivery", { token })).body).toEqual({ address: "123 street", phone_number: "0123456788" });

    const personal = await api("PUT", "/api/v1/account/customer/personal", { token, body: { first_name: "Dep", last_name: "Trai" } });
    expect(personal.status).toBe(200);
    expect(personal.body).toEqual({ email: "deptrai123@gmail.com", first_name: "Dep", last_name: "Trai" });
    const delivery = await api("PUT", "/api/v1/account/customer/delivery", { token, body: { address: "456 avenue", phone_number: "+84 123 456 789" } });
    expect(delivery.body).toEqual({ address: "456 avenue", phone_number: "+84 123 456 789" });
    expect((await api("GET", "/api/v1/account/customer/delivery", { token })).body).toEqual({ address: "456 avenue", phone_number: "+84 123 456 789" });
  });
});

describe("bad input", () => {
  test("a duplicate email, in any case, is a 409 and writes nothing", async () => {
    const customer = await registerCustomer();
    const before = await customerCount();
    const res = await api("POST", "/api/v1/account/auth/register", {
      body: { email: customer.email.toUpperCase(), password: "another password", first_name: "A", last_name: "B", address: "x", phone_number: "0123456789" },
    });
    expect(res.status).toBe(409);
    expect(res.body.error.type).toBe("EMAIL_TAKEN");
    expect(await customerCount()).toBe(before);
  });

  test("malformed and missing fields are a 422 naming each field, and nothing is written", async () => {
    const before = await customerCount();
    const res = await api("POST", "/api/v1/account/auth/register", {
      body: { email: "not-an-email", password: "short", first_name: "", phone_number: "call me" },
    });
    expect(res.status).toBe(422);
    const fields = res.body.error.fields.map((f: { field: string }) => f.field);
    expect(fields).toEqual(expect.arrayContaining(["email", "password", "first_name", "last_name", "address", "phone_number"]));
    expect(await customerCount()).toBe(before);
  });

  test("an oversized body is a 413 and a broken one a 400, both in the JSON error shape", async () => {
    const big = await api("POST", "/api/v1/account/auth/register", { rawBody: JSON.stringify({ email: "a@b.co", address: "x".repeat(200_000) }) });
    expect(big.status).toBe(413);
    expect(big.body.error).toMatchObject({ status: 413, type: "PAYLOAD_TOO_LARGE" });
    const broken = await api("POST", "/api/v1/account/auth/login", { rawBody: '{"email": ' });
    expect(broken.status).toBe(400);
    expect(broken.body.error.type).toBe("MALFORMED_JSON");
  });

  test("unknown fields are never written: a self-granted role is ignored", async () => {
    const customer = await registerCustomer({ role: "admin", id: randomUUID() });
    const row = await accountDb("customers").where({ id: customer.customerId }).first();
    expect(row.role).toBe("customer");
  });

  test("wrong password and unknown email get the same 401", async () => {
    const customer = await registerCustomer();
    const wrong = await api("POST", "/api/v1/account/auth/login", { body: { email: customer.email, password: "wrong password!" } });
    const unknown = await api("POST", "/api/v1/account/auth/login", { body: { email: `nobody-${randomUUID()}@example.com`, password: "whatever123" } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
  });
});

describe("refresh tokens", () => {
  test("rotate on every use; the old one stops working; reusing it revokes the new one too", async () => {
    const customer = await registerCustomer();
    const first = await api("POST", "/api/v1/account/auth/refresh", { body: { refresh_token: customer.refreshToken } });
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).not.toBe(customer.refreshToken);
    expect((await api("GET", "/api/v1/account/customer/personal", { token: first.body.access_token })).status).toBe(200);

    const reuse = await api("POST", "/api/v1/account/auth/refresh", { body: { refresh_token: customer.refreshToken } });
    expect(reuse.status).toBe(401);
    expect(reuse.body.error.message).toMatch(/reused/);

    const afterReuse = await api("POST", "/api/v1/account/auth/refresh", { body: { refresh_token: first.body.refresh_token } });
    expect(afterReuse.status).toBe(401);
    expect(afterReuse.body.error.message).toMatch(/revoked/);
  });

  test("a login starts an independent family that reuse elsewhere does not touch", async () => {
    const customer = await registerCustomer();
    const login = await api("POST", "/api/v1/account/auth/login", { body: { email: customer.email, password: customer.password } });
    await api("POST", "/api/v1/account/auth/refresh", { body: { refresh_token: customer.refreshToken } });
    await api("POST", "/api/v1/account/auth/refresh", { body: { refresh_token: customer.refreshToken } });
    expect((await api("POST", "/api/v1/account/auth/refresh", { body: { refresh_token: login.body.refresh_token } })).status).toBe(200);
  });
});

test("CustomerRegistered for a new account reaches Kafka through the outbox", async () => {
  const reader = await collectTopic(ACCOUNT_EVENTS_TOPIC);
  try {
    const customer = await registerCustomer();
    const record = await waitUntil("CustomerRegistered on account.events", () => reader.records.find((r) => r.key?.toString() === customer.customerId), 60_000);
    expect(headerValue(record, "type")).toBe("CustomerRegistered");
    expect(headerValue(record, "id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(record.value!.toString())).toMatchObject({
      customerId: customer.customerId,
      email: customer.email,
      firstName: "Test",
      lastName: "Customer",
    });
  } finally {
    await reader.stop();
  }
});
