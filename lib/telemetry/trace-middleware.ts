/**
 * Moleculer's half of tracing: every local action and event handler runs in
 * a span that continues the caller's trace, and every call, emit and
 * broadcast carries the active context on in `meta.traceparent`. Moleculer
 * 0.14 has no OpenTelemetry exporter of its own, and its own tracer would
 * not join the spans of pg, ioredis and HTTP; this joins them.
 */
import type { ActionHandler, ActionSchema, CallMiddlewareHandler, CallingOptions, Context, Middleware, ServiceEvent } from "moleculer";
import { SpanKind, contextFromTraceparent, inSpan, traceparentOf } from "./trace-context";
import { context as activeContext } from "@opentelemetry/api";

interface TracedMeta {
  traceparent?: string;
}

type EventHandler = (ctx: Context<unknown, TracedMeta>) => unknown;

/** The caller's context: the one it sent in meta, or (at the gateway, under the HTTP span) the active one. */
function parentOf(ctx: Context<unknown, TracedMeta>) {
  return ctx.meta?.traceparent ? contextFromTraceparent(ctx.meta.traceparent) : activeContext.active();
}

/** `opts` with the active context in its meta, for the context the callee gets. */
function carryingTrace(opts: CallingOptions | undefined): CallingOptions {
  const traceparent = traceparentOf();
  return traceparent ? { ...opts, meta: { ...opts?.meta, traceparent } } : (opts ?? {});
}

/** call, emit and broadcast: the same (name, params or payload, options) shape. */
const carryTrace =
  (next: CallMiddlewareHandler): CallMiddlewareHandler =>
  (name, params, opts) =>
    next(name, params, carryingTrace(opts));

export const TraceMiddleware: Middleware = {
  localAction(next: ActionHandler, action: ActionSchema) {
    const name = String(action.name);
    return (ctx: Context<unknown, TracedMeta>) =>
      inSpan(
        { name, kind: SpanKind.SERVER, attributes: { "rpc.system": "moleculer", "rpc.method": name, "moleculer.node": ctx.nodeID ?? "" } },
        parentOf(ctx),
        async () => next(ctx),
      );
  },
  localEvent(next: EventHandler, event: ServiceEvent) {
    const name = String(event.name);
    return (ctx: Context<unknown, TracedMeta>) =>
      inSpan({ name: `event ${name}`, kind: SpanKind.CONSUMER, attributes: { "moleculer.event": name } }, parentOf(ctx), async () => next(ctx));
  },
  call: carryTrace,
  emit: carryTrace,
  broadcast: carryTrace,
};
