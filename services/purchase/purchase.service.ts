/**
 * Purchases: what a customer asked to buy and how far its saga has got.
 * `create` prices the items and, in one statement, records the purchase
 * PENDING and announces PurchaseCreated through the outbox (the orchestrator
 * takes it from there); concurrent requests share the price call and the
 * statement. The saga's outcome arrives on the results topic, its progress
 * as the orchestrator's `purchase.progressed` events; each change is
 * broadcast as `purchase.status-changed`, which every gateway relays to the
 * purchase's Server-Sent Events stream.
 */
import { randomUUID } from "node:crypto";
import type { Knex } from "knex";
import { Errors, type Context, type Service, type ServiceBroker, type ServiceSchema, type ServiceSettingSchema } from "moleculer";
import { MAX_ORDER_ITEMS, PurchaseCancelRequested, PurchaseCreated, PurchaseSagaCompleted, PurchaseSagaFailed } from "../../contracts/purchase-saga";
import { PURCHASE_PROGRESSED_EVENT, PURCHASE_PROGRESSED_SCHEMA, type PurchaseProgressed } from "../../contracts/purchase-progress";
import { PURCHASE_EVENTS_TOPIC, PURCHASE_RESULTS_TOPIC, consumerOf } from "../../contracts/topics";
import { publication, type PayloadOf } from "../../lib/messages/message-declaration";
import type { ProductPrice, ProductPricesParams } from "../../contracts/product";
import { callerOf, type AuthenticatedMeta } from "../../lib/auth/authenticated-user";
import { RequestCoalescer, type CoalescerOptions } from "../../lib/batching/request-coalescer";
import { storeCurrency } from "../../lib/environment";
import { customerHistoryAction } from "../../lib/history/customer-history";
import type { AfterCommit, InboundMessage } from "../../lib/inbox/idempotent-consumer";
import { OutboxWriter } from "../../lib/outbox/outbox-writer";
import { PeriodicWork } from "../../lib/scheduling/periodic-work";
import { DatabaseMixin, type DatabaseThis } from "../../mixins/database.mixin";
import { OutboxPlumbingMixin } from "../../mixins/outbox-plumbing.mixin";
import { idempotentChannel } from "../../mixins/idempotent-channel";
import { republishPendingPurchases } from "./pending-watchdog";
import {
  createPurchaseSchema,
  idempotencyKeyProblem,
  priceOrder,
  requestFingerprint,
  requestProblems,
  type CreatePurchaseBody,
  type PriceList,
} from "./purchase-request";
import { readPurchaseSettings } from "./purchase-settings";
import {
  PURCHASE_STATUSES,
  PURCHASE_STATUS_CHANGED_EVENT,
  purchaseAcceptedSchema,
  purchaseView,
  purchaseViewSchema,
  type PurchaseAccepted,
  type PurchaseView,
} from "./purchase-view";
import { documentedError, type DocumentedError, type RestDescription } from "../../lib/http/rest-description";
import { cancelRefusal } from "./purchase-decisions";
import type { Purchase } from "./purchase-models";
import { SHOP_METRICS, registerShopMetrics } from "../../lib/metrics/shop-metrics";
import {
  findCustomerPurchase,
  findKeyedPurchase,
  lockCustomerPurchase,
  recordCancelRequest,
  listCustomerPurchases,
  recordOutcome,
  recordProgressNotes,
  recordPurchases,
  type IdempotencyClaim,
  type KeyedPurchase,
  type PurchaseToRecord,
} from "./purchase-store";

const { MoleculerClientError, ValidationError } = Errors;

export interface PurchaseTopics {
  /** Where PurchaseCreated goes. */
  purchaseEvents: string;
  /** Where the orchestrator reports each saga's outcome. */
  purchaseResults: string;
}

export interface PurchaseServiceOptions {
  /** Inbox consumer name and Kafka consumer group. */
  consumer?: string;
  topics?: PurchaseTopics;
}

interface PurchaseThis extends Service, DatabaseThis {
  outbox: OutboxWriter;
  priceList: RequestCoalescer<number[], PriceList>;
  recorder: RequestCoalescer<PurchaseToRecord, boolean>;
  pendingSweep: PeriodicWork;
  sweepPending(): Promise<void>;
}

/** A saga's end, as purchase.results carries it. */
type SagaOutcome = PayloadOf<typeof PurchaseSagaCompleted> | PayloadOf<typeof PurchaseSagaFailed>;

/** The gateway passes a client's Idempotency-Key header on as `idempotencyKey`. */
type PurchaseMeta = AuthenticatedMeta & { idempotencyKey?: string; $statusCode?: number; $responseHeaders?: Record<string, string> };

/**
 * The door under a crowd: concurrent requests are priced with one product call
 * and recorded with one statement, at most `maxBatch` at a time and
 * `concurrency` batches at once (the gateway's bulkhead bounds how many wait).
 */
const DOOR_BATCHING: CoalescerOptions = { maxBatch: 64, concurrency: 2 };

/**
 * Current prices for several orders' products, in as few product calls as the
 * price action's bound allows; an unknown product is null rather than an error.
 */
async function currentPrices(broker: ServiceBroker, orders: number[][]): Promise<PriceList[]> {
  const ids = [...new Set(orders.flat())];
  const calls = [];
  for (let i = 0; i < ids.length; i += MAX_ORDER_ITEMS) {
    calls.push(broker.call<ProductPrice[], ProductPricesParams>("product.prices", { ids: ids.slice(i, i + MAX_ORDER_ITEMS) }));
  }
  const prices = new Map((await Promise.all(calls)).flat().map((p) => [p.id, p.price]));
  return orders.map((order) => new Map(order.map((id) => [id, prices.get(id) ?? null])));
}

/** The type of the 422 for an order that cannot be priced, by priceOrder's refusal. */
const PRICING_REFUSAL_TYPES = { "unknown-products": "UNKNOWN_PRODUCT", "too-expensive": "AMOUNT_TOO_LARGE" } as const;

/** The purchase as it will be announced, or a 422 naming what is wrong with the request. */
async function pricedPurchase(
  ctx: Context<CreatePurchaseBody>,
  customerId: string,
  priceList: RequestCoalescer<number[], PriceList>,
): Promise<PurchaseCreated> {
  const currency = storeCurrency();
  const problems = requestProblems(ctx.params, currency);
  if (problems.length > 0) throw new ValidationError("The purchase request is not acceptable", "VALIDATION_ERROR", problems);

  const prices = await priceList.request(ctx.params.order_items.map((item) => item.product_id));
  const order = priceOrder(ctx.params.order_items, prices);
  if (!order.ok) throw new ValidationError(order.problems.map((p) => p.message).join(" "), PRICING_REFUSAL_TYPES[order.refusal], order.problems);
  return { purchaseId: randomUUID(), customerId, items: order.items, amount: order.amount, currency };
}

/** The cancel request for the saga: who asks, and the purchase as announced, for a saga whose start was lost. */
function cancelRequest(purchase: Purchase, requestedBy: string): PurchaseCancelRequested {
  return {
    purchaseId: purchase.id,
    customerId: purchase.customer_id,
    items: purchase.items.map((line) => ({ productId: line.product_id, quantity: line.quantity, unitPrice: line.unit_price })),
    amount: Number(purchase.amount),
    currency: purchase.currency,
    requestedBy,
  };
}

const purchaseNotFound = () => new MoleculerClientError("Purchase not found", 404, "NOT_FOUND");
const keyReused = () => new MoleculerClientError("This Idempotency-Key was used for another purchase request", 409, "IDEMPOTENCY_KEY_REUSED");

/** What the API document says of a create: its answer, and its own 422s and 409 (examples of each). */
const CREATE_DESCRIPTION: RestDescription = {
  summary: "Buys: records the purchase and starts its saga (202); an Idempotency-Key header makes it safe to retry",
  answer: { status: 202, schema: purchaseAcceptedSchema },
  errors: [
    documentedError(keyReused()),
    { status: 422, type: PRICING_REFUSAL_TYPES["unknown-products"], message: "Product 9 does not exist." },
    { status: 422, type: PRICING_REFUSAL_TYPES["too-expensive"], message: "The items come to more than the most one purchase can carry." },
  ],
};

/** The cancel's 409s, as cancelRefusal words them for a purchase that has ended, is paid, or is being undone. */
const CANCEL_REFUSALS: DocumentedError[] = (
  [
    ["COMPLETED", false],
    ["RUNNING", true],
    ["COMPENSATING", false],
  ] as const
).flatMap(([status, payment_taken]) => {
  const refusal = cancelRefusal({ id: "3f0c2a8e-8d1b-4c55-9a7e-2b6f1d9e4a10", status, payment_taken });
  return refusal ? [{ status: 409, ...refusal }] : [];
});

function purchaseLinks(id: string) {
  const self = `/api/v1/purchases/${id}`;
  return { self, events: `${self}/events` };
}

/** The request's Idempotency-Key (passed on by the gateway) with its fingerprint; null without one, 422 for a malformed one. */
function idempotencyClaim(ctx: Context<CreatePurchaseBody, PurchaseMeta>): IdempotencyClaim | null {
  const key = ctx.meta.idempotencyKey;
  if (key === undefined) return null;
  const problem = idempotencyKeyProblem(key);
  if (problem) throw new ValidationError(problem.message, "VALIDATION_ERROR", [problem]);
  return { key, fingerprint: requestFingerprint(ctx.params) };
}

/** A purchase found under the request's key answers the request only if it was made for the same request. */
function sameRequest(earlier: KeyedPurchase, claim: IdempotencyClaim): Pick<KeyedPurchase, "id" | "status"> {
  if (earlier.request_fingerprint !== claim.fingerprint) {
    throw keyReused();
  }
  return earlier;
}

/** 202 with the purchase's links and Location: it is recorded, and its saga runs (or ran). */
function accepted(ctx: Context<CreatePurchaseBody, PurchaseMeta>, purchase: Pick<KeyedPurchase, "id" | "status">): PurchaseAccepted {
  const links = purchaseLinks(purchase.id);
  ctx.meta.$statusCode = 202;
  // moleculer-web sets Location itself only for 201 and redirects.
  ctx.meta.$responseHeaders = { Location: links.self };
  return { id: purchase.id, status: purchase.status, links };
}

/**
 * One purchase service per call. Topics and the consumer name are parameters
 * so a test can run a private instance beside the real one.
 */
export function createPurchaseService(options: PurchaseServiceOptions = {}): ServiceSchema<ServiceSettingSchema, PurchaseThis> {
  const consumer = options.consumer ?? consumerOf(PURCHASE_RESULTS_TOPIC, "purchase");
  const settings = readPurchaseSettings();
  const topics = options.topics ?? { purchaseEvents: PURCHASE_EVENTS_TOPIC, purchaseResults: PURCHASE_RESULTS_TOPIC };
  // Channel handlers run with the service as `this`: the end is announced through this instance's broker, once committed.
  async function recordSagaOutcome(
    this: PurchaseThis,
    trx: Knex.Transaction,
    { payload: result }: InboundMessage<SagaOutcome>,
  ): Promise<AfterCommit | undefined> {
    const { orderId = null, paymentId = null } = result.data;
    const outcome = { status: result.status, step: null, failure_reason: result.reason, order_id: orderId, payment_id: paymentId };
    const view = await recordOutcome(trx, result.sagaId, outcome);
    return view ? () => this.broker.broadcast(PURCHASE_STATUS_CHANGED_EVENT, view) : undefined;
  }

  const schema: ServiceSchema<ServiceSettingSchema, PurchaseThis> = {
    name: "purchase",
    mixins: [DatabaseMixin("purchase"), OutboxPlumbingMixin("purchase")],

    channels: {
      [topics.purchaseResults]: idempotentChannel<PurchaseThis>({
        topic: topics.purchaseResults,
        consumer,
        handlers: {
          [PurchaseSagaCompleted.name]: { schema: PurchaseSagaCompleted.schema, handle: recordSagaOutcome },
          [PurchaseSagaFailed.name]: { schema: PurchaseSagaFailed.schema, handle: recordSagaOutcome },
        },
      }),
    },

    events: {
      [PURCHASE_PROGRESSED_EVENT]: {
        params: PURCHASE_PROGRESSED_SCHEMA,
        async handler(this: PurchaseThis, ctx: Context<PurchaseProgressed>) {
          const changed = await recordProgressNotes(this.db, ctx.params.notes);
          await Promise.all(changed.map((view) => this.broker.broadcast(PURCHASE_STATUS_CHANGED_EVENT, view)));
        },
      },
    },

    actions: {
      create: {
        params: createPurchaseSchema,
        openapi: CREATE_DESCRIPTION,
        async handler(this: PurchaseThis, ctx: Context<CreatePurchaseBody, PurchaseMeta>) {
          const customerId = callerOf(ctx).id;
          const claim = idempotencyClaim(ctx);
          // A retry under a key already used is answered from the purchase it made, without pricing again.
          const earlier = claim && (await findKeyedPurchase(this.db, customerId, claim.key));
          if (earlier) return accepted(ctx, sameRequest(earlier, claim));

          const created = await pricedPurchase(ctx, customerId, this.priceList);
          // The row is made here, where this request's trace is the active one.
          const [announcement] = this.outbox.rows([publication(PurchaseCreated, created.purchaseId, created, topics.purchaseEvents)]);
          const recorded = await this.recorder.request({ purchase: created, claim, announcement });
          if (recorded) {
            this.broker.metrics.increment(SHOP_METRICS.purchasesAccepted.name);
            return accepted(ctx, { id: created.purchaseId, status: "PENDING" });
          }
          // A concurrent request under the same key recorded its purchase first: that one is the answer.
          const winner = claim && (await findKeyedPurchase(this.db, customerId, claim.key));
          if (!winner) throw new Error(`purchase under Idempotency-Key ${claim?.key} vanished`);
          return accepted(ctx, sameRequest(winner, claim));
        },
      },

      /**
       * Its customer asks to stop the purchase: 202 once the request is on its
       * way to the saga, which decides (before the payment it undoes what was
       * done, and the purchase fails "cancelled by customer"; after it the
       * purchase completes). 409 when the purchase already says no cancel can
       * stop it; asking again changes nothing.
       */
      cancel: {
        params: { $$strict: "remove", id: "uuid" },
        openapi: {
          summary: "Asks to cancel the purchase (202 with it): the saga decides; before the payment it is undone, after it it completes",
          answer: { status: 202, schema: purchaseViewSchema },
          errors: [documentedError(purchaseNotFound()), ...CANCEL_REFUSALS],
        } satisfies RestDescription,
        async handler(this: PurchaseThis, ctx: Context<{ id: string }, PurchaseMeta>): Promise<PurchaseView> {
          const customerId = callerOf(ctx).id;
          const { view, asked } = await this.db.transaction(async (trx) => {
            const purchase = await lockCustomerPurchase(trx, ctx.params.id, customerId);
            if (!purchase) throw purchaseNotFound();
            const refusal = cancelRefusal(purchase);
            if (refusal) throw new MoleculerClientError(refusal.message, 409, refusal.type);
            if (purchase.cancel_requested_at) return { view: purchaseView(purchase), asked: false };
            // The row is made here, where this request's trace is the active one.
            const [request] = this.outbox.rows([publication(PurchaseCancelRequested, purchase.id, cancelRequest(purchase, customerId), topics.purchaseEvents)]);
            return { view: await recordCancelRequest(trx, this.outbox.table, purchase.id, request!), asked: true };
          });
          if (asked) void this.broker.broadcast(PURCHASE_STATUS_CHANGED_EVENT, view);
          ctx.meta.$statusCode = 202;
          return view;
        },
      },

      get: {
        params: { $$strict: "remove", id: "uuid" },
        openapi: {
          summary: "The caller's own purchase: its status, current step, failure reason, order and payment",
          answer: { schema: purchaseViewSchema },
          errors: [documentedError(purchaseNotFound())],
        } satisfies RestDescription,
        async handler(this: PurchaseThis, ctx: Context<{ id: string }, AuthenticatedMeta>): Promise<PurchaseView> {
          const purchase = await findCustomerPurchase(this.db, ctx.params.id, callerOf(ctx).id);
          if (!purchase) throw purchaseNotFound();
          return purchase;
        },
      },

      /** The caller's own purchases, newest first, a page at a time. */
      list: customerHistoryAction({
        rows: "purchases",
        statuses: PURCHASE_STATUSES,
        viewSchema: purchaseViewSchema,
        list: listCustomerPurchases,
        view: purchaseView,
      }),
    },

    methods: {
      /** Re-publishes the PurchaseCreated of purchases PENDING for too long (see pending-watchdog.ts); one batch per call. */
      async sweepPending(this: PurchaseThis) {
        const bound = settings.pendingRepublishMs;
        const sweep = await republishPendingPurchases(this.db, { topic: topics.purchaseEvents, olderThanMs: bound });
        if (sweep.republished.length > 0) {
          this.logger.warn(
            `re-published PurchaseCreated of ${sweep.republished.length} purchase(s) PENDING for over ${bound} ms:`,
            sweep.republished.map((r) => `${r.purchaseId} (message ${r.messageId})`).join(", "),
          );
          this.broker.metrics.increment(SHOP_METRICS.pendingRepublished.name, undefined, sweep.republished.length);
        }
        for (const { purchaseId, reason } of sweep.unpublishable) {
          this.logger.error(`purchase ${purchaseId} is PENDING and its PurchaseCreated would be refused (${reason}): it needs an operator`);
        }
        if (sweep.unpublishable.length > 0) this.broker.metrics.increment(SHOP_METRICS.pendingUnpublishable.name, undefined, sweep.unpublishable.length);
      },
    },

    created(this: PurchaseThis) {
      registerShopMetrics(this.broker.metrics, [SHOP_METRICS.purchasesAccepted, SHOP_METRICS.pendingRepublished, SHOP_METRICS.pendingUnpublishable]);
      this.outbox = new OutboxWriter();
      this.priceList = new RequestCoalescer((orders) => currentPrices(this.broker, orders), DOOR_BATCHING);
      this.recorder = new RequestCoalescer((records) => recordPurchases(this.db, this.outbox.table, records), DOOR_BATCHING);
    },

    started(this: PurchaseThis) {
      // Several sweeps per bound, so a purchase waits little past it.
      this.pendingSweep = new PeriodicWork(
        settings.pendingRepublishMs / 4,
        () => this.sweepPending(),
        (error) => this.logger.warn(`pending purchase sweep failed (retried next interval): ${(error as Error).message}`),
      );
      this.pendingSweep.start();
    },

    // Before the database mixin's (Moleculer stops mixins after the service): a sweep in progress finishes on an open pool.
    async stopped(this: PurchaseThis) {
      await this.pendingSweep.stop();
    },
  };
  return schema;
}

export default createPurchaseService();
