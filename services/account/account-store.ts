/**
 * The account database: customers, their password hashes (credentials) and,
 * in refresh-token-store.ts, their refresh tokens. Emails are matched without
 * regard to case, as the unique index on lower(email) does.
 */
import type { Knex } from "knex";
import type { Role } from "../../lib/auth/token-service";
import type { RegisterBody } from "./account-validation";
import type { CustomerRow } from "./account-view";

type Queryable = Knex | Knex.Transaction;

/** The customer and its password hash; a taken email fails on the unique index (23505). */
export async function insertCustomer(trx: Knex.Transaction, id: string, body: Omit<RegisterBody, "password">, passwordHash: string): Promise<void> {
  const { email, first_name, last_name, address, phone_number } = body;
  await trx("customers").insert({ id, email, first_name, last_name, address, phone_number });
  await trx("credentials").insert({ customer_id: id, password_hash: passwordHash });
}

/** What a login checks: the customer's id, role and password hash, by email. */
export async function findLogin(db: Queryable, email: string): Promise<{ id: string; role: Role; password_hash: string } | null> {
  const row = await db("customers as c")
    .join("credentials as k", "k.customer_id", "c.id")
    .whereRaw("lower(c.email) = ?", [email.toLowerCase()])
    .first("c.id", "c.role", "k.password_hash");
  return row ?? null;
}

export async function replacePasswordHash(trx: Knex.Transaction, customerId: string, passwordHash: string): Promise<void> {
  await trx("credentials").where({ customer_id: customerId }).update({ password_hash: passwordHash, updated_at: trx.fn.now() });
}

/** The account after the change, or null when no account has this email. */
export async function setRoleByEmail(db: Queryable, email: string, role: Role): Promise<Pick<CustomerRow, "id" | "email" | "role"> | null> {
  const [row] = await db("customers")
    .whereRaw("lower(email) = ?", [email.toLowerCase()])
    .update({ role, updated_at: db.fn.now() })
    .returning(["id", "email", "role"]);
  return row ?? null;
}

export async function findCustomer(db: Queryable, id: string): Promise<CustomerRow | null> {
  const row: CustomerRow | undefined = await db("customers").where({ id }).first();
  return row ?? null;
}

/** Updates the customer and returns it, in one round trip; null when there is no such customer. */
export async function updateCustomer(db: Queryable, id: string, changes: Partial<CustomerRow>): Promise<CustomerRow | null> {
  const [row] = await db("customers")
    .where({ id })
    .update({ ...changes, updated_at: db.fn.now() })
    .returning("*");
  return row ?? null;
}
