/**
 * Payments: opens a wallet for every registered customer (account.events),
 * takes and refunds the money of purchases on command from payment.commands,
 * and serves the owner-only reads behind GET /api/v1/payments,
 * GET /api/v1/payments/:id and GET /api/v1/account/wallet.
 */
import { Errors, type Context, type Service, type ServiceSchema } from "moleculer";
import { ACCOUNT_EVENTS_TOPIC, PAYMENT_COMMANDS_TOPIC, consumerOf } from "../../contracts/topics";
import { callerOf, type AuthenticatedMeta } from "../../lib/auth/authenticated-user";
import { customerHistoryAction } from "../../lib/history/customer-history";
import { DatabaseMixin, type DatabaseThis } from "../../mixins/database.mixin";
import { OutboxPlumbingMixin } from "../../mixins/outbox-plumbing.mixin";
import { idempotentChannel } from "../../mixins/idempotent-channel";
import { lockPayersWallets, paymentCommandHandlers } from "./payment-commands";
import { PAYMENT_STATUSES, walletMovements } from "./payment-decisions";
import { findOwnedPayment, findPaymentByPurchase, findWallet, listCustomerPayments, movedPayments } from "./payment-store";
import { customerWalletView, customerWalletViewSchema, internalPaymentView, paymentView, paymentViewSchema, walletView } from "./payment-view";
import { documentedError, type RestDescription } from "../../lib/http/rest-description";
import { accountEventHandlers, walletSettings } from "./wallet-opening";

type PaymentThis = Service & DatabaseThis;

const wallets = walletSettings();

// Someone else's payment is "not found" too: its existence is not the caller's business.
const paymentNotFound = () => new Errors.MoleculerClientError("Payment not found", 404, "NOT_FOUND");
const walletNotFound = () => new Errors.MoleculerClientError("Wallet not found", 404, "NOT_FOUND");

/** How many movements the wallet shows: the newest. */
const WALLET_MOVEMENTS = 20;

const PaymentService: ServiceSchema = {
  name: "payment",
  mixins: [DatabaseMixin("payment"), OutboxPlumbingMixin("payment")],
  channels: {
    [ACCOUNT_EVENTS_TOPIC]: idempotentChannel<PaymentThis>({
      topic: ACCOUNT_EVENTS_TOPIC,
      consumer: consumerOf(ACCOUNT_EVENTS_TOPIC, "payment"),
      handlers: accountEventHandlers(wallets),
    }),
    [PAYMENT_COMMANDS_TOPIC]: idempotentChannel<PaymentThis>({
      topic: PAYMENT_COMMANDS_TOPIC,
      consumer: consumerOf(PAYMENT_COMMANDS_TOPIC, "payment"),
      handlers: paymentCommandHandlers(wallets),
      lockShared: lockPayersWallets(wallets),
    }),
  },
  actions: {
    /** The caller's own payment. */
    get: {
      params: { id: "uuid" },
      openapi: {
        summary: "The caller's own payment",
        answer: { schema: paymentViewSchema },
        errors: [documentedError(paymentNotFound())],
      } satisfies RestDescription,
      async handler(this: PaymentThis, ctx: Context<{ id: string }, AuthenticatedMeta>) {
        const payment = await findOwnedPayment(this.db, ctx.params.id, callerOf(ctx).id);
        if (!payment) throw paymentNotFound();
        return paymentView(payment);
      },
    },
    /** The caller's own payments, newest first, a page at a time. */
    list: customerHistoryAction({
      rows: "payments",
      statuses: PAYMENT_STATUSES,
      viewSchema: paymentViewSchema,
      list: listCustomerPayments,
      view: paymentView,
    }),
    /** The caller's own wallet and its newest movements, told by its payments (there is no ledger). */
    wallet: {
      params: { $$strict: "remove" },
      openapi: {
        summary: "The caller's wallet: its balance and its newest movements",
        answer: { schema: customerWalletViewSchema },
        errors: [documentedError(walletNotFound())],
      } satisfies RestDescription,
      async handler(this: PaymentThis, ctx: Context<Record<string, never>, AuthenticatedMeta>) {
        const customerId = callerOf(ctx).id;
        const [wallet, moved] = await Promise.all([findWallet(this.db, customerId), movedPayments(this.db, customerId, WALLET_MOVEMENTS)]);
        if (!wallet) throw walletNotFound();
        return customerWalletView(wallet, walletMovements(moved.charged, moved.refunded, WALLET_MOVEMENTS));
      },
    },
    /** For operators (the dashboard's link, under /ops/api) and tests: the payment of a purchase, or null. */
    byPurchase: {
      params: { purchaseId: "uuid" },
      async handler(this: PaymentThis, ctx: Context<{ purchaseId: string }>) {
        const payment = await findPaymentByPurchase(this.db, ctx.params.purchaseId);
        return payment ? internalPaymentView(payment) : null;
      },
    },
    /** For operators and tests (not routable by the gateway): a customer's wallet, or null. */
    customerWallet: {
      visibility: "public",
      params: { customerId: "uuid" },
      async handler(this: PaymentThis, ctx: Context<{ customerId: string }>) {
        const wallet = await findWallet(this.db, ctx.params.customerId);
        return wallet ? walletView(wallet) : null;
      },
    },
  },
};

export = PaymentService;
