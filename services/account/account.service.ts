/**
 * Accounts: registration, login, token refresh and the customer's profile.
 * Registration announces CustomerRegistered through the outbox in the same
 * transaction (the payment service opens a wallet from it).
 */
import { randomUUID } from "node:crypto";
import { Errors, type Context, type Service, type ServiceSchema, type ServiceSettingSchema } from "moleculer";
import { loadAuthConfig } from "../../lib/auth/auth-config";
import { callerOf, type AuthenticatedMeta } from "../../lib/auth/authenticated-user";
import { InvalidTokenError, ROLES, type Role, TokenService } from "../../lib/auth/token-service";
import { serviceBusy } from "../../lib/errors/service-busy";
import { SQLSTATE, sqlStateOf } from "../../lib/errors/sql-state";
import { OutboxWriter } from "../../lib/outbox/outbox-writer";
import { CustomerRegistered } from "../../contracts/account";
import { publication } from "../../lib/messages/message-declaration";
import { documentedError, type RestDescription } from "../../lib/http/rest-description";
import { DatabaseMixin, type DatabaseThis } from "../../mixins/database.mixin";
import { OutboxPlumbingMixin } from "../../mixins/outbox-plumbing.mixin";
import {
  type DeliveryUpdateBody,
  type LoginBody,
  type PersonalUpdateBody,
  type RefreshBody,
  type RegisterBody,
  deliveryUpdateSchema,
  loginSchema,
  personalUpdateSchema,
  refreshSchema,
  registerSchema,
} from "./account-validation";
import { readAccountSettings } from "./account-settings";
import type { Customer } from "./account-models";
import { type CustomerChanges, findCustomer, findLogin, insertCustomer, replacePasswordHash, setRoleByEmail, updateCustomer } from "./account-store";
import { deliveryView, deliveryViewSchema, personalView, personalViewSchema, tokenPairSchema, type TokenPair } from "./account-view";
import { PasswordHasher, PasswordHashingBusyError } from "./password-hasher";
import { consumeRefreshToken, storeRefreshToken } from "./refresh-token-store";

const { MoleculerClientError } = Errors;

interface AccountThis extends Service, DatabaseThis {
  passwords: PasswordHasher;
  tokens: TokenService;
  outbox: OutboxWriter;
  issueTokenPair(trx: import("knex").Knex.Transaction, customerId: string, role: Role, familyId?: string): Promise<TokenPair>;
  currentCustomer(ctx: Context<unknown, AuthenticatedMeta>): Promise<Customer>;
  updateCustomer(ctx: Context<unknown, AuthenticatedMeta>, changes: CustomerChanges): Promise<Customer>;
}

const customerNotFound = () => new MoleculerClientError("Customer not found", 404, "NOT_FOUND");
const invalidCredentials = () => new MoleculerClientError("Invalid email or password", 401, "INVALID_CREDENTIALS");
const invalidRefreshToken = (why: string) => new MoleculerClientError(`Invalid refresh token: ${why}`, 401, "INVALID_REFRESH_TOKEN");
const emailTaken = () => new MoleculerClientError("An account with this email already exists", 409, "EMAIL_TAKEN");

/** What the API document says of reading or changing one part of the caller's profile. */
const profileDescription = (summary: string, schema: typeof personalViewSchema | typeof deliveryViewSchema): RestDescription => ({
  summary,
  answer: { schema },
  errors: [documentedError(customerNotFound())],
});

/** Password hashing past its admission bound is a 503 the client retries, not a wait past the gateway's timeout. */
async function passwordWork<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof PasswordHashingBusyError) throw serviceBusy("Too many sign-ins at once; try again shortly");
    throw error;
  }
}

const AccountService: ServiceSchema<ServiceSettingSchema, AccountThis> = {
  name: "account",
  mixins: [DatabaseMixin("account"), OutboxPlumbingMixin("account")],
  actions: {
    register: {
      params: registerSchema,
      openapi: {
        summary: "Sign up: a new customer account and its first token pair",
        answer: { status: 201, schema: tokenPairSchema },
        errors: [documentedError(emailTaken())],
      } satisfies RestDescription,
      async handler(this: AccountThis, ctx: Context<RegisterBody, { $statusCode?: number; $location?: string }>) {
        const body = ctx.params;
        const passwordHash = await passwordWork(this.passwords.hash(body.password));
        const customerId = randomUUID();
        try {
          const pair = await this.db.transaction(async (trx) => {
            await insertCustomer(trx, customerId, body, passwordHash);
            const registered: CustomerRegistered = {
              customerId,
              email: body.email,
              firstName: body.first_name,
              lastName: body.last_name,
              registeredAt: new Date().toISOString(),
            };
            await this.outbox.append(trx, publication(CustomerRegistered, customerId, registered));
            return this.issueTokenPair(trx, customerId, "customer");
          });
          ctx.meta.$statusCode = 201;
          ctx.meta.$location = "/api/v1/account/customer/personal";
          return pair;
        } catch (error) {
          if (sqlStateOf(error) === SQLSTATE.UNIQUE_VIOLATION) {
            throw emailTaken();
          }
          throw error;
        }
      },
    },

    login: {
      params: loginSchema,
      openapi: {
        summary: "Log in: a new token pair",
        answer: { schema: tokenPairSchema },
        errors: [documentedError(invalidCredentials())],
      } satisfies RestDescription,
      async handler(this: AccountThis, ctx: Context<LoginBody>) {
        const found = await findLogin(this.db, ctx.params.email);
        // Unknown email costs the same hashing work as a wrong password.
        const check = await passwordWork(
          found ? this.passwords.verify(ctx.params.password, found.password_hash) : this.passwords.verifyAgainstDummyHash(ctx.params.password),
        );
        if (!found || !check.valid) throw invalidCredentials();
        return this.db.transaction(async (trx) => {
          if (check.needsRehash) await replacePasswordHash(trx, found.id, await passwordWork(this.passwords.hash(ctx.params.password)));
          return this.issueTokenPair(trx, found.id, found.role);
        });
      },
    },

    /**
     * For operators (the REPL's grant-role; no gateway route): gives an account a
     * role. Its tokens carry the new role from their next refresh on.
     */
    grantRole: {
      visibility: "public",
      params: { $$strict: "remove", email: "email", role: { type: "enum", values: [...ROLES] } },
      async handler(this: AccountThis, ctx: Context<{ email: string; role: Role }>) {
        const customer = await setRoleByEmail(this.db, ctx.params.email, ctx.params.role);
        if (!customer) throw customerNotFound();
        return { customer_id: customer.id, email: customer.email, role: customer.role };
      },
    },

    refresh: {
      params: refreshSchema,
      openapi: {
        summary: "A new token pair for a refresh token, which stops working (reusing it revokes its family)",
        answer: { schema: tokenPairSchema },
        errors: [documentedError(invalidRefreshToken("reused"))],
      } satisfies RestDescription,
      async handler(this: AccountThis, ctx: Context<RefreshBody>) {
        try {
          this.tokens.verifyRefreshToken(ctx.params.refresh_token);
        } catch (error) {
          if (error instanceof InvalidTokenError) throw invalidRefreshToken(error.reason);
          throw error;
        }
        const outcome = await this.db.transaction(async (trx) => {
          const consumed = await consumeRefreshToken(trx, ctx.params.refresh_token);
          if (consumed.kind !== "rotated") return consumed;
          const customer = await findCustomer(trx, consumed.customerId);
          if (!customer) return { kind: "unknown" as const };
          return { kind: "pair" as const, pair: await this.issueTokenPair(trx, consumed.customerId, customer.role, consumed.familyId) };
        });
        if (outcome.kind === "pair") return outcome.pair;
        if (outcome.kind === "reused") this.logger.warn("refresh token reuse detected: token family revoked");
        throw invalidRefreshToken(outcome.kind);
      },
    },

    getPersonal: {
      openapi: profileDescription("The caller's name and email", personalViewSchema),
      async handler(this: AccountThis, ctx: Context<unknown, AuthenticatedMeta>) {
        return personalView(await this.currentCustomer(ctx));
      },
    },
    updatePersonal: {
      params: personalUpdateSchema,
      openapi: profileDescription("Changes the caller's name", personalViewSchema),
      async handler(this: AccountThis, ctx: Context<PersonalUpdateBody, AuthenticatedMeta>) {
        return personalView(await this.updateCustomer(ctx, { first_name: ctx.params.first_name, last_name: ctx.params.last_name }));
      },
    },
    getDelivery: {
      openapi: profileDescription("The caller's delivery address and phone number", deliveryViewSchema),
      async handler(this: AccountThis, ctx: Context<unknown, AuthenticatedMeta>) {
        return deliveryView(await this.currentCustomer(ctx));
      },
    },
    updateDelivery: {
      params: deliveryUpdateSchema,
      openapi: profileDescription("Changes the caller's delivery address and phone number", deliveryViewSchema),
      async handler(this: AccountThis, ctx: Context<DeliveryUpdateBody, AuthenticatedMeta>) {
        return deliveryView(await this.updateCustomer(ctx, { address: ctx.params.address, phone_number: ctx.params.phone_number }));
      },
    },
  },

  methods: {
    async issueTokenPair(this: AccountThis, trx, customerId: string, role: Role, familyId?: string): Promise<TokenPair> {
      const access = this.tokens.issueAccessToken({ customerId, role });
      const refresh = this.tokens.issueRefreshToken({ customerId, role }, familyId);
      await storeRefreshToken(trx, refresh);
      return {
        customer_id: customerId,
        access_token: access.token,
        refresh_token: refresh.token,
        token_type: "Bearer",
        expires_in: Math.round((access.expiresAt.getTime() - Date.now()) / 1000),
      };
    },
    /** Updates the caller's own row and returns it, in one round trip. */
    async updateCustomer(this: AccountThis, ctx: Context<unknown, AuthenticatedMeta>, changes: CustomerChanges): Promise<Customer> {
      const customer = await updateCustomer(this.db, callerOf(ctx).id, changes);
      if (!customer) throw customerNotFound();
      return customer;
    },
    async currentCustomer(this: AccountThis, ctx: Context<unknown, AuthenticatedMeta>): Promise<Customer> {
      const customer = await findCustomer(this.db, callerOf(ctx).id);
      if (!customer) throw customerNotFound();
      return customer;
    },
  },

  async created(this: AccountThis) {
    // Refuses to start with a missing/default secret in production (see loadAuthConfig).
    this.tokens = new TokenService(loadAuthConfig());
    this.outbox = new OutboxWriter();
  },
  async started(this: AccountThis) {
    this.passwords = await PasswordHasher.create(readAccountSettings().argon2);
  },
};

export = AccountService;
