import { ServiceBroker, type Context } from "moleculer";
import { SpanKind } from "@opentelemetry/api";
import { TraceMiddleware } from "../../../lib/telemetry/trace-middleware";
import { inSpan } from "../../../lib/telemetry/trace-context";
import { ROOT_CONTEXT } from "@opentelemetry/api";
import { recordSpans } from "./tracing-harness";

const recorded = recordSpans();
const broker = new ServiceBroker({ logger: false, middlewares: [TraceMiddleware] });
const heard: string[] = [];

broker.createService({
  name: "door",
  actions: {
    async open(ctx: Context) {
      await ctx.call("stock.take");
      await ctx.emit("door.opened");
      return "open";
    },
  },
});
broker.createService({
  name: "stock",
  actions: {
    take: () => "taken",
    fail: () => {
      throw new Error("no stock");
    },
  },
  events: {
    "door.opened"(ctx: Context) {
      heard.push(String(ctx.eventName));
    },
  },
});

beforeAll(() => broker.start());
afterAll(() => broker.stop());
beforeEach(() => recorded.reset());

const byName = (name: string) => recorded.spans().find((s) => s.name === name)!;

describe("TraceMiddleware", () => {
  it("gives each action and event handler a span, child of its caller's, all in the caller's trace", async () => {
    await inSpan({ name: "POST /door", kind: SpanKind.SERVER }, ROOT_CONTEXT, () => broker.call("door.open"));
    await new Promise((resolve) => setImmediate(resolve));
    expect(heard).toContain("door.opened");
    const request = byName("POST /door");
    const open = byName("door.open");
    const take = byName("stock.take");
    const opened = byName("event door.opened");
    expect(open.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(take.parentSpanContext?.spanId).toBe(open.spanContext().spanId);
    expect(opened.parentSpanContext?.spanId).toBe(open.spanContext().spanId);
    expect(new Set([request, open, take, opened].map((s) => s.spanContext().traceId)).size).toBe(1);
    expect([open.kind, take.kind, opened.kind]).toEqual([SpanKind.SERVER, SpanKind.SERVER, SpanKind.CONSUMER]);
  });

  it("records a failing action's error on its span and passes the error on", async () => {
    await expect(broker.call("stock.fail")).rejects.toThrow("no stock");
    expect(byName("stock.fail").status).toMatchObject({ code: 2, message: "no stock" });
  });
});
