/**
 * One purchase is one trace. A purchase made over HTTP and followed over its
 * event stream: the trace id in its first outbox row is the one in every
 * outbox row and Kafka header of that purchase, and Zipkin holds that trace
 * as one tree with spans from the gateway and every service, the saga's steps
 * in order, and the push to the client's stream.
 */
import knex from "knex";
import { databaseUrl } from "../../../lib/environment";
import { TOPICS } from "../../../contracts/topics";
import { registerCustomer } from "../../support/http";
import { headerValue, recordsWithKey } from "../../support/kafka";
import { catalogProduct, readPurchaseEvents, startPurchase } from "../../support/purchases";
import { waitUntil } from "../../support/wait";

interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  timestamp: number;
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
}

const zipkinUrl = process.env.ZIPKIN_URL;
const traceIdOf = (traceparent: string) => traceparent.split("-")[1];

async function zipkinTrace(traceId: string): Promise<ZipkinSpan[]> {
  const res = await fetch(`${zipkinUrl}/api/v2/trace/${traceId}`);
  return res.ok ? ((await res.json()) as ZipkinSpan[]) : [];
}

/** Spans whose parent is not in the trace: the root, and any span whose parent has not arrived yet. */
function rootsOf(spans: ZipkinSpan[]): ZipkinSpan[] {
  const ids = new Set(spans.map((s) => s.id));
  return spans.filter((s) => !s.parentId || !ids.has(s.parentId));
}

/** The trace once it holds a span of every one of `names` and is one tree (spans arrive in batches, service by service). */
function traceHolding(traceId: string, names: string[]): Promise<ZipkinSpan[]> {
  return waitUntil(
    `trace ${traceId} to hold ${names.join(", ")} in one tree`,
    async () => {
      const spans = await zipkinTrace(traceId);
      return names.every((name) => spans.some((s) => s.name === name)) && rootsOf(spans).length === 1 && spans;
    },
    90_000,
    1_000,
  );
}

test("a purchase over HTTP is one trace, through every service, with the saga's steps in order", async () => {
  expect(zipkinUrl).toBeDefined();
  const customer = await registerCustomer();
  const productId = await catalogProduct(customer.accessToken, 1_000, 10);
  const purchaseId = await startPurchase(customer.accessToken, [{ product_id: productId, quantity: 1 }]);
  const events = await readPurchaseEvents(customer.accessToken, purchaseId);
  expect(events.at(-1)?.status).toBe("COMPLETED");

  const purchaseDb = knex({ client: "pg", connection: databaseUrl("purchase"), pool: { min: 0, max: 1 } });
  const orchestratorDb = knex({ client: "pg", connection: databaseUrl("orchestrator"), pool: { min: 0, max: 1 } });
  let traceId: string;
  try {
    const announcement = await purchaseDb("outbox").where({ aggregateid: purchaseId, type: "PurchaseCreated" }).first("traceparent");
    expect(announcement?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    traceId = traceIdOf(announcement.traceparent);
    // The saga's commands and its result, written by the orchestrator while it handled this purchase's messages.
    const sagaRows: { type: string; traceparent: string | null }[] = await orchestratorDb("outbox")
      .where({ aggregateid: purchaseId })
      .select("type", "traceparent");
    expect(sagaRows.map((r) => r.type)).toEqual(expect.arrayContaining(["ReserveInventory", "CreateOrder", "ProcessPayment", "ApproveOrder", "SagaCompleted"]));
    expect(sagaRows.map((r) => r.traceparent && traceIdOf(r.traceparent))).toEqual(sagaRows.map(() => traceId));
  } finally {
    await Promise.all([purchaseDb.destroy(), orchestratorDb.destroy()]);
  }

  const records = await recordsWithKey(Object.keys(TOPICS), purchaseId);
  expect(records.length).toBeGreaterThanOrEqual(10);
  for (const { topic, message } of records) {
    expect({ topic, trace: traceIdOf(headerValue(message, "traceparent") ?? "--") }).toEqual({ topic, trace: traceId });
  }

  // Zipkin keeps span names in lower case. The saga's stages in order; the first is a parallel group, its steps in either order.
  const stages = [
    ["product.commands process reserveinventory", "order.commands process createorder"],
    ["payment.commands process processpayment"],
    ["order.commands process approveorder"],
  ];
  const steps = stages.flat();
  const spans = await traceHolding(traceId, ["post /api/v1/purchases", ...steps, "purchase.results process sagacompleted", "event purchase.status-changed"]);

  const services = new Set(spans.map((s) => s.localEndpoint?.serviceName));
  for (const service of ["api", "purchase", "orchestrator", "product", "order", "payment"]) expect(services).toContain(service);
  const started = (name: string) => Math.min(...spans.filter((s) => s.name === name).map((s) => s.timestamp));
  const stageOf = (name: string) => stages.findIndex((stage) => stage.includes(name));
  expect([...steps].sort((a, b) => started(a) - started(b)).map(stageOf)).toEqual(steps.map(stageOf));
  // One tree, rooted at the HTTP request.
  const roots = rootsOf(spans);
  expect(roots.map((s) => s.name)).toEqual(["post /api/v1/purchases"]);
  expect(roots[0].tags?.["http.route"]).toBe("/api/v1/purchases");
});
