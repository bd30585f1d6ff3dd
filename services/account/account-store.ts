/**
 * The account database: customers, their password hashes (credentials) and,
 * in refresh-token-store.ts, their refresh tokens. Emails are matched without
 * regard to case, as the unique index on lower(email) does.
 */
import type { Knex } from "knex";
import type { Role } from "../../lib/auth/token-service";
import type { RegisterBody } from "./account-validation";
import { Credential, Customer } from "./account-models";

type Queryable = Knex | Knex.Transaction;

/** The profile columns a customer may change. */
export type CustomerChanges = Partial<Pick<Customer, "first_name" | "last_name" | "address" | "phone_number">>;

/** The customer and its password hash; a taken email fails on the unique index (23505). */
export async function insertCustomer(trx: Knex.Transaction, id: string, body: Omit<RegisterBody, "password">, passwordHash: string): Promise<void> {
  const { email, first_name, last_name, address, phone_number } = body;
  await Customer.query(trx).insert({ id, email, first_name, last_name, address, phone_number });
  await Credential.query(trx).insert({ customer_id: id, password_hash: passwordHash });
}

/** What a login checks: the customer's id, role and password hash, by email. */
export async function findLogin(db: Queryable, email: string): Promise<{ id: string; role: Role; password_hash: string } | null> {
  const customer = await Customer.query(db).withGraphJoined("credential").whereRaw("lower(customers.email) = ?", [email.toLowerCase()]).first();
  return customer?.credential ? { id: customer.id, role: customer.role, password_hash: customer.credential.password_hash } : null;
}

export async function replacePasswordHash(trx: Knex.Transaction, customerId: string, passwordHash: string): Promise<void> {
  await Credential.query(trx).findById(customerId).patch({ password_hash: passwordHash, updated_at: trx.fn.now() });
}

/** The account after the change, or null when no account has this email. */
export async function setRoleByEmail(db: Queryable, email: string, role: Role): Promise<Customer | null> {
  const [customer] = await Customer.query(db).patch({ role, updated_at: db.fn.now() }).whereRaw("lower(email) = ?", [email.toLowerCase()]).returning("*");
  return customer ?? null;
}

export async function findCustomer(db: Queryable, id: string): Promise<Customer | null> {
  return (await Customer.query(db).findById(id)) ?? null;
}

/** Updates the customer and returns it, in one round trip; null when there is no such customer. */
export async function updateCustomer(db: Queryable, id: string, changes: CustomerChanges): Promise<Customer | null> {
  const [customer] = await Customer.query(db)
    .patch({ ...changes, updated_at: db.fn.now() })
    .where({ id })
    .returning("*");
  return customer ?? null;
}
