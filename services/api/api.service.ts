/**
 * The API gateway (moleculer-web): the only HTTP door into the system.
 * It verifies access tokens itself (no round trip), puts the customer on
 * `ctx.meta.user`, limits body size and request rate (counted in Redis, so
 * the limit holds across gateway instances) and answers every error in one
 * JSON shape. Services own their validation and ownership checks.
 */
import { OUTBOX_FLOW_EVENT, type OutboxFlowReport } from "../../contracts/outbox-flow";
import { PipelineHealth } from "../../lib/outbox/pipeline-health";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Cluster } from "ioredis";
import type { Context, MetricRegistry, Service, ServiceSchema, ServiceSettingSchema } from "moleculer";
import ApiGateway from "moleculer-web";
import { PURCHASE_STATUS_CHANGED_EVENT, type PurchaseView } from "../purchase/purchase-view";
import { loadAuthConfig } from "../../lib/auth/auth-config";
import type { AuthenticatedMeta, AuthenticatedUser } from "../../lib/auth/authenticated-user";
import { InvalidTokenError, TokenService } from "../../lib/auth/token-service";
import { redisClusterOptions, redisNodes } from "../../lib/environment";
import { redisRateLimitStore } from "../../lib/http/redis-rate-limit-store";
import { routeTemplate } from "../../lib/http/route-template";
import { SHOP_METRICS, registerShopMetrics } from "../../lib/metrics/shop-metrics";
import { readApiSettings, type ApiSettings } from "./api-settings";
import { UNAVAILABLE_RETRY_AFTER_SECONDS, errorResponse } from "./error-response";
import { withinTime } from "../../lib/scheduling/within-time";
import { answerPlainOptions, closeServer, corsSettings, noSniffing, noStore, rateLimitRetryAfter, refuseUnfitJson, sameOriginIsNotCors } from "./http-edge";
import { OverviewStreams, dashboardFiles, refuseNonOperator } from "./ops-dashboard";
import { MAX_STREAMS_PER_CUSTOMER, MAX_STREAM_MS, PurchaseEventStreams } from "./purchase-event-streams";
import { DOCS_ALIAS, DOCS_ROUTE_PATH, OPENAPI_ALIAS, docsFiles } from "./api-docs";
import { openApiDocument, type RoutedAlias, type StreamRouteDescription } from "./openapi-document";
import { tooManyStreams } from "../../lib/http/event-stream";
import { documentedError } from "../../lib/http/rest-description";

const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";

/** The API document's entries for the routes the gateway answers itself. */
const STREAM_ROUTES: Record<string, StreamRouteDescription> = {
  "GET /api/v1/purchases/:id/events": {
    summary: `The purchase as Server-Sent Events: its current state, then every change until it ends (for at most ${MAX_STREAM_MS / 60_000} minutes; reconnect for the current state)`,
    like: "purchase.get",
    errors: [documentedError(tooManyStreams(MAX_STREAMS_PER_CUSTOMER))],
  },
};

/** `limit` requests per client per window, counted in Redis under `route`. */
function rateLimit(settings: ApiSettings, redis: Cluster, route: string, limit: number) {
  return {
    window: settings.rateLimit.windowMs,
    limit,
    headers: true,
    // Behind Traefik the client is the first X-Forwarded-For hop; direct callers cannot set it unless trusted.
    key: (req: IncomingMessage) =>
      (settings.trustProxy &&
        String(req.headers["x-forwarded-for"] ?? "")
          .split(",")[0]
          .trim()) ||
      req.socket.remoteAddress,
    StoreFactory: redisRateLimitStore(redis, `${settings.rateLimit.keyPrefix}:${route}`),
  };
}

// No Content-Encoding: bodies are small, and an inflater is one more thing a client could feed garbage (415).
const jsonBodyParsers = (settings: ApiSettings) => ({
  json: { limit: settings.bodyLimit, strict: true, inflate: false, verify: refuseUnfitJson },
  urlencoded: false,
});

/**
 * Node's HTTP server bounds (ms): the headers, then the whole request, must
 * arrive in time, so a client sending a byte at a time holds a socket for
 * seconds, not forever. Responses (event streams) are not bounded by these.
 */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 15_000;
/** How long a stopping gateway waits for Redis to confirm its quit before it drops the connections. */
const REDIS_QUIT_MS = 2_000;

/** Counts and times a request once its answer is over (or its connection gone), by the route it matched. */
function countRequest(registry: MetricRegistry, req: IncomingMessage, res: ServerResponse): void {
  const started = process.hrtime.bigint();
  res.once("close", () => {
    const method = req.method ?? "";
    const route = routeTemplate(req) ?? "unmatched";
    registry.increment(SHOP_METRICS.httpRequests.name, { method, route, status: String(res.statusCode) });
    registry.observe(SHOP_METRICS.httpSeconds.name, Number(process.hrtime.bigint() - started) / 1e9, { method, route });
  });
}

interface GatewayThis extends Service {
  pipelineHealth: PipelineHealth;
  purchaseStreams: PurchaseEventStreams;
  overviewStreams: OverviewStreams;
  /** moleculer-web's: every alias of every route. */
  aliases: RoutedAlias[];
  /** moleculer-web's: answers an error through onError. */
  sendError(req: IncomingMessage, res: ServerResponse, error: Error): void;
  serveDashboard(req: GatewayRequest, res: ServerResponse, file: string): void;
  serveDocs(req: GatewayRequest, res: ServerResponse, file: string): void;
}

type GatewayRequest = IncomingMessage & { $ctx: Context<unknown, AuthenticatedMeta>; $params: Record<string, string> };

/**
 * One gateway per call; a test passes its own settings. Its Redis connection
 * (rate limits, /ready) opens on the first command and closes when it stops.
 */
export function createApiService(
  settings: ApiSettings = readApiSettings(),
  tokens = new TokenService(loadAuthConfig()),
): ServiceSchema<ServiceSettingSchema, GatewayThis> {
  // Generous timeout: a crowd at the door lags the event loop, and a command timer due during the lag fires before the answer already read is handled.
  const redis = new Cluster(redisNodes(), redisClusterOptions({ lazyConnect: true, enableOfflineQueue: true, redisOptions: { commandTimeout: 5_000 } }));
  const jsonBody = jsonBodyParsers(settings);
  const dashboard = dashboardFiles();
  const docs = docsFiles();
  return {
    name: "api",
    mixins: [ApiGateway],
    settings: {
      port: settings.port,
      // One line per request at info is too much on the hot path; debug keeps it available.
      logRequest: "debug",
      logResponse: "debug",
      ip: settings.bindAddress,
      cors: corsSettings(settings.corsOrigins, ["Content-Type", "Authorization", IDEMPOTENCY_KEY_HEADER]),
      requestTimeout: REQUEST_TIMEOUT_MS,
      use: [noSniffing, answerPlainOptions, sameOriginIsNotCors(settings.trustProxy)],
      onError(this: GatewayThis, _req: IncomingMessage, res: ServerResponse, err: Error) {
        const body = errorResponse(err as never);
        if (body.error.status >= 500) this.logger.error("request failed:", err);
        res.setHeader("Content-Type", "application/json; charset=utf-8");
        res.setHeader("X-Content-Type-Options", "nosniff");
        if (body.error.status === 503) res.setHeader("Retry-After", String(UNAVAILABLE_RETRY_AFTER_SECONDS));
        if (body.error.status === 429) res.setHeader("Retry-After", String(rateLimitRetryAfter(res.getHeader("X-Rate-Limit-Reset"))));
        res.writeHead(body.error.status);
        res.end(JSON.stringify(body));
      },
      routes: [
        {
          name: "probes",
          path: "/",
          aliases: { "GET health": "api.health", "GET ready": "api.ready", "GET health/pipeline": "api.pipeline" },
          mappingPolicy: "restrict",
          bodyParsers: false,
        },
        {
          // Credentials: tightly limited per client.
          name: "credentials",
          path: "/api/v1/account/auth",
          aliases: {
            "POST register": "account.register",
            "POST login": "account.login",
            "POST refresh": "account.refresh",
          },
          mappingPolicy: "restrict",
          bodyParsers: jsonBody,
          use: [noStore],
          rateLimit: rateLimit(settings, redis, "auth", settings.rateLimit.auth),
        },
        {
          // Routes that share a path need names, or moleculer-web keeps only the last.
          name: "public",
          path: "/api/v1",
          aliases: {
            "GET products/:id": "product.get",
            "GET products": "product.list",
            "GET categories": "product.listCategories",
          },
          mappingPolicy: "restrict",
          bodyParsers: false,
          rateLimit: rateLimit(settings, redis, "public", settings.rateLimit.other),
        },
        {
          name: "private",
          path: "/api/v1",
          authentication: true,
          authorization: true,
          aliases: {
            "GET account/customer/personal": "account.getPersonal",
            "PUT account/customer/personal": "account.updatePersonal",
            "GET account/customer/delivery": "account.getDelivery",
            "PUT account/customer/delivery": "account.updateDelivery",
            "POST products": "product.create",
            "PUT products/:id": "product.update",
            "POST categories": "product.createCategory",
            "GET account/wallet": "payment.wallet",
            "GET orders": "order.list",
            "GET orders/:id": "order.get",
            "GET payments": "payment.list",
            "GET payments/:id": "payment.get",
            "POST purchases": "purchase.create",
            "GET purchases": "purchase.list",
            "GET purchases/:id": "purchase.get",
            "POST purchases/:id/cancel": "purchase.cancel",
            "GET purchases/:id/events"(this: GatewayThis, req: GatewayRequest, res: ServerResponse) {
              // moleculer-web does not catch a function alias's rejection: answer it here, or it kills the process.
              return this.purchaseStreams.stream(req.$ctx, req.$params.id, req, res).catch((error: Error) => this.sendError(req, res, error));
            },
          },
          mappingPolicy: "restrict",
          bodyParsers: jsonBody,
          use: [noStore],
          rateLimit: rateLimit(settings, redis, "private", settings.rateLimit.other),
          // A client's Idempotency-Key makes a POST safe to retry (purchase.create answers a repeat with the purchase it made).
          onBeforeCall(ctx: Context<unknown, { idempotencyKey?: string }>, _route: unknown, req: IncomingMessage) {
            const key = req.headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()];
            if (typeof key === "string") ctx.meta.idempotencyKey = key;
          },
        },
        {
          // The operator's dashboard's data and actions (see authorize: operators only). Before "ops-page", whose path is a prefix of this one.
          name: "ops-api",
          path: "/ops/api",
          authentication: true,
          authorization: true,
          operatorsOnly: true,
          aliases: {
            "GET overview": "ops.overview",
            "GET events"(this: GatewayThis, req: GatewayRequest, res: ServerResponse) {
              try {
                this.overviewStreams.stream(req.$ctx, req, res);
              } catch (error) {
                this.sendError(req, res, error as Error);
              }
            },
            "GET sagas": "orchestrator.listSagas",
            "GET sagas/:id": "orchestrator.showSaga",
            "POST sagas/:id/retry": "orchestrator.retrySaga",
            "POST sagas/:id/abort": "orchestrator.abortSaga",
            "GET purchases/:purchaseId/order": "order.byPurchase",
            "GET purchases/:purchaseId/payment": "payment.byPurchase",
            "GET dead-letters/:topic": "ops.deadLetters",
            "POST dead-letters/:topic/requeue": "ops.requeueDeadLetter",
            "GET outbox/replays": "ops.replays",
            "POST outbox/replays": "ops.replayOutbox",
          },
          mappingPolicy: "restrict",
          bodyParsers: jsonBody,
          use: [noStore],
          rateLimit: rateLimit(settings, redis, "ops", settings.rateLimit.other),
        },
        {
          // The dashboard's page: public like a login form, but a token that is sent must be an operator's.
          name: "ops-page",
          path: "/ops",
          authentication: true,
          aliases: {
            "GET /"(this: GatewayThis, req: GatewayRequest, res: ServerResponse) {
              this.serveDashboard(req, res, "index.html");
            },
            "GET :file"(this: GatewayThis, req: GatewayRequest, res: ServerResponse) {
              this.serveDashboard(req, res, req.$params.file);
            },
          },
          mappingPolicy: "restrict",
          bodyParsers: false,
          rateLimit: rateLimit(settings, redis, "public", settings.rateLimit.other),
        },
        {
          // The API's OpenAPI document and its viewer (api-docs.ts): public, counted with the public routes.
          name: "docs",
          path: DOCS_ROUTE_PATH,
          aliases: {
            [`GET ${OPENAPI_ALIAS}`]: "api.openapi",
            [`GET ${DOCS_ALIAS}`](this: GatewayThis, req: GatewayRequest, res: ServerResponse) {
              this.serveDocs(req, res, "index.html");
            },
            [`GET ${DOCS_ALIAS}/:file`](this: GatewayThis, req: GatewayRequest, res: ServerResponse) {
              this.serveDocs(req, res, req.$params.file);
            },
          },
          mappingPolicy: "restrict",
          bodyParsers: false,
          rateLimit: rateLimit(settings, redis, "public", settings.rateLimit.other),
        },
      ],
    },
    events: {
      /** Broadcast by the purchase service to every gateway; each relays to its own open streams. */
      [PURCHASE_STATUS_CHANGED_EVENT](this: GatewayThis, ctx: Context<PurchaseView>) {
        this.purchaseStreams.publish(ctx.params);
      },
      [OUTBOX_FLOW_EVENT](this: GatewayThis, ctx: Context<OutboxFlowReport>) {
        this.pipelineHealth.note(ctx.params);
      },
    },
    methods: {
      /** Bearer access token → the customer on ctx.meta.user; any token problem is a 401. */
      async authenticate(_ctx: Context, _route: unknown, req: IncomingMessage): Promise<AuthenticatedUser | null> {
        const header = req.headers.authorization;
        if (!header) return null;
        const match = /^Bearer ([A-Za-z0-9_\-.]+)$/.exec(header);
        if (!match) throw new ApiGateway.Errors.UnAuthorizedError(ApiGateway.Errors.ERR_INVALID_TOKEN, null);
        try {
          const claims = tokens.verifyAccessToken(match[1]);
          return { id: claims.sub, role: claims.role };
        } catch (error) {
          if (error instanceof InvalidTokenError) throw new ApiGateway.Errors.UnAuthorizedError(ApiGateway.Errors.ERR_INVALID_TOKEN, { reason: error.reason });
          throw error;
        }
      },
      authorize(ctx: Context<unknown, AuthenticatedMeta>, route: { opts: { operatorsOnly?: boolean } }) {
        if (!ctx.meta.user) throw new ApiGateway.Errors.UnAuthorizedError(ApiGateway.Errors.ERR_NO_TOKEN, null);
        if (route.opts.operatorsOnly) refuseNonOperator(ctx);
      },
      serveDocs(this: GatewayThis, req: GatewayRequest, res: ServerResponse, file: string) {
        try {
          docs.serve(res, file);
        } catch (error) {
          this.sendError(req, res, error as Error);
        }
      },
      serveDashboard(this: GatewayThis, req: GatewayRequest, res: ServerResponse, file: string) {
        try {
          refuseNonOperator(req.$ctx);
          dashboard.serve(res, file);
        } catch (error) {
          this.sendError(req, res, error as Error);
        }
      },
    },
    actions: {
      /**
       * moleculer-web runs every request as this one action, for as long as the
       * request lasts: under the broker's bulkhead a few event streams or slow
       * uploads would take every slot and starve everyone. The actions it calls
       * keep their own bulkheads; the gateway's own bounds are the server timeouts
       * and the per-customer stream limit.
       */
      rest: { bulkhead: { enabled: false } },
      /** The API's OpenAPI document, from the alias table and the registered actions' definitions (openapi-document.ts). */
      openapi: {
        handler(this: GatewayThis) {
          const actions = new Map(
            this.broker.registry.getActionList({ onlyAvailable: true, skipInternal: true }).map((item) => [item.name, item.action ?? {}]),
          );
          return openApiDocument({
            aliases: this.aliases,
            actions,
            streams: STREAM_ROUTES,
            onMissing: (action) => this.logger.warn(`openapi.json: ${action} is not registered now, so its route is left out`),
          });
        },
      },
      /** Alive: the process answers. */
      health() {
        return { status: "ok" };
      },
      /**
       * The outbox pipeline: 200 while every outbox that reported lately
       * streams, 503 with each one's state and what its watch did otherwise.
       * Not part of /ready: a stalled pipeline delays purchases, it does not
       * stop the gateway from taking them.
       */
      pipeline(ctx: Context<unknown, { $statusCode?: number }>) {
        const verdict = this.pipelineHealth.verdict(Date.now());
        if (!verdict.carrying) ctx.meta.$statusCode = 503;
        return { status: verdict.carrying ? "streaming" : "stalled", ...verdict };
      },
      /** Ready: every service the gateway routes to is registered, and Redis (limits, transport) answers. */
      async ready(ctx: Context<unknown, { $statusCode?: number }>) {
        const expected = settings.expectedServices;
        const available = new Set(this.broker.registry.getServiceList({ onlyAvailable: true }).map((s: { name: string }) => s.name));
        const missing = expected.filter((name) => !available.has(name));
        const redisAnswers = await redis.ping().then(
          () => true,
          () => false,
        );
        if (missing.length > 0 || !redisAnswers) {
          ctx.meta.$statusCode = 503;
          return { status: "starting", missing, redis: redisAnswers ? "ok" : "unreachable" };
        }
        return { status: "ready" };
      },
    },
    created() {
      this.pipelineHealth = new PipelineHealth();
      this.purchaseStreams = new PurchaseEventStreams();
      this.overviewStreams = new OverviewStreams();
      this.server.headersTimeout = HEADERS_TIMEOUT_MS;
      if (!this.broker.metrics.isEnabled()) return;
      registerShopMetrics(this.broker.metrics, [SHOP_METRICS.httpRequests, SHOP_METRICS.httpSeconds]);
      this.server.on("request", (req: IncomingMessage, res: ServerResponse) => countRequest(this.broker.metrics, req, res));
    },
    // Runs before moleculer-web's own stop (Moleculer stops a service before its mixins), which then finds the server closed.
    async stopped() {
      this.purchaseStreams.closeAll();
      this.overviewStreams.closeAll();
      // The server first, so requests in hand finish with Redis still there for their rate limit; a stop always ends.
      await closeServer(this.server);
      // A quit some node does not answer must not keep the process from exiting either.
      await withinTime(redis.quit(), REDIS_QUIT_MS).catch(() => undefined);
      redis.disconnect();
    },
  };
}

export default createApiService();
