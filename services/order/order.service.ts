/**
 * Orders: a participant of the purchase saga (creates, approves and cancels
 * the order of a purchase on command from order.commands) and the owner-only
 * reads behind GET /api/v1/orders and GET /api/v1/orders/:id.
 */
import { Errors, type Context, type Service, type ServiceSchema } from "moleculer";
import { ORDER_COMMANDS_TOPIC, consumerOf } from "../../contracts/topics";
import { callerOf, type AuthenticatedMeta } from "../../lib/auth/authenticated-user";
import { customerHistoryAction } from "../../lib/history/customer-history";
import { DatabaseMixin, type DatabaseThis } from "../../mixins/database.mixin";
import { OutboxPlumbingMixin } from "../../mixins/outbox-plumbing.mixin";
import { idempotentChannel } from "../../mixins/idempotent-channel";
import { orderCommandHandlers } from "./order-commands";
import { ORDER_STATUSES } from "./order-decisions";
import type { Order } from "./order-models";
import { findOrderByPurchase, findOwnedOrder, listCustomerOrders, orderItems } from "./order-store";
import { internalOrderView, orderView, orderViewSchema } from "./order-view";
import { documentedError, type RestDescription } from "../../lib/http/rest-description";

type OrderThis = Service & DatabaseThis;

// Someone else's order is "not found" too: its existence is not the caller's business.
const orderNotFound = () => new Errors.MoleculerClientError("Order not found", 404, "NOT_FOUND");

const OrderService: ServiceSchema = {
  name: "order",
  mixins: [DatabaseMixin("order"), OutboxPlumbingMixin("order")],
  channels: {
    [ORDER_COMMANDS_TOPIC]: idempotentChannel<OrderThis>({
      topic: ORDER_COMMANDS_TOPIC,
      consumer: consumerOf(ORDER_COMMANDS_TOPIC, "order"),
      handlers: orderCommandHandlers,
    }),
  },
  actions: {
    /** The caller's own order with its items. */
    get: {
      params: { id: "uuid" },
      openapi: {
        summary: "The caller's own order, with its items",
        answer: { schema: orderViewSchema },
        errors: [documentedError(orderNotFound())],
      } satisfies RestDescription,
      async handler(this: OrderThis, ctx: Context<{ id: string }, AuthenticatedMeta>) {
        const order = await findOwnedOrder(this.db, ctx.params.id, callerOf(ctx).id);
        if (!order) throw orderNotFound();
        return orderView(order, await orderItems(this.db, order));
      },
    },
    /** The caller's own orders, newest first, a page at a time, each with its items. */
    list: customerHistoryAction({
      rows: "orders",
      statuses: ORDER_STATUSES,
      viewSchema: orderViewSchema,
      list: listCustomerOrders,
      view: (order: Order) => orderView(order, order.items ?? []),
    }),
    /** For operators (the dashboard's link, under /ops/api) and tests: the order of a purchase, or null. */
    byPurchase: {
      params: { purchaseId: "uuid" },
      async handler(this: OrderThis, ctx: Context<{ purchaseId: string }>) {
        const order = await findOrderByPurchase(this.db, ctx.params.purchaseId);
        return order ? internalOrderView(order, await orderItems(this.db, order)) : null;
      },
    },
  },
};

export = OrderService;
