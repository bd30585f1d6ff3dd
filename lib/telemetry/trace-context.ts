/**
 * Trace context as it crosses the system: a W3C `traceparent` string in a
 * Moleculer call's or event's meta, in an outbox row (and so in the Kafka
 * headers Debezium writes from it), and the spans that continue it on the
 * other side. Without a started SDK every function here is a cheap no-op.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type Attributes, type Context } from "@opentelemetry/api";

const tracer = trace.getTracer("saga");

/** The active context (or `from`) as a traceparent; undefined when there is none to carry. */
export function traceparentOf(from: Context = context.active()): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(from, carrier);
  return carrier.traceparent;
}

/** The context a traceparent describes; a message without one starts a trace of its own. */
export function contextFromTraceparent(traceparent: string | undefined): Context {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
}

export interface SpanSpec {
  name: string;
  kind: SpanKind;
  attributes?: Attributes;
}

/**
 * Runs `work` inside a new span, child of `parent`: what it calls (queries,
 * calls, outbox rows) belongs to that span. A thrown error is recorded on
 * the span and thrown on.
 */
export async function inSpan<T>(spec: SpanSpec, parent: Context, work: (spanContext: Context) => Promise<T>): Promise<T> {
  const span = openSpan(spec, parent);
  try {
    return await context.with(span.context, () => work(span.context));
  } catch (error) {
    span.fail(error);
    throw error;
  } finally {
    span.end();
  }
}

export interface OpenSpan {
  /** The span's context, to run work in. */
  context: Context;
  /** Records the error on the span and marks it failed. */
  fail(error: unknown): void;
  end(): void;
}

/** A span, child of `parent`, left open until `end` (for spans that overlap, such as a batch's messages). */
export function openSpan(spec: SpanSpec, parent: Context): OpenSpan {
  const span = tracer.startSpan(spec.name, { kind: spec.kind, attributes: spec.attributes }, parent);
  return {
    context: trace.setSpan(parent, span),
    fail(error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    },
    end: () => span.end(),
  };
}

/** Runs `work` in `ctx` (a span's context kept for later, such as an after-commit step). */
export function inContext<T>(ctx: Context, work: () => T): T {
  return context.with(ctx, work);
}

export { SpanKind };
