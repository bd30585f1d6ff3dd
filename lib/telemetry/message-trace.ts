/**
 * A consumed Kafka message continues the trace its producer started: its
 * handler runs in a span whose parent is the message's `traceparent` header
 * (written by Debezium from the outbox row), so what the handler does (its
 * queries, its outbox rows and the messages they become) joins that trace,
 * and so does its after-commit step (a broadcast to the gateways, say).
 */
import type { AfterCommit, InboundMessage } from "../inbox/idempotent-consumer";
import { SpanKind, contextFromTraceparent, inContext, inSpan, openSpan, type SpanSpec } from "./trace-context";

export function handleInMessageTrace(message: InboundMessage, handle: () => Promise<void | AfterCommit>): Promise<void | AfterCommit> {
  return inSpan(processSpan(message), contextFromTraceparent(message.traceparent), async (spanContext) => {
    const afterCommit = await handle();
    return afterCommit && (() => inContext(spanContext, afterCommit));
  });
}

/** Runs `work` in a message's own span (its trace). */
export type InMessageContext = <T>(work: () => T) => T;

/**
 * For messages handled together: each gets its own span, open while `handle`
 * runs, and `handle` is given, per message, a way to run work in that span
 * (what it sends for that message then carries that message's trace). The
 * statements the run shares belong to no one message's trace: none is made.
 */
export async function handleInMessageTraces<T>(messages: readonly InboundMessage[], handle: (within: InMessageContext[]) => Promise<T>): Promise<T> {
  const spans = messages.map((message) => openSpan(processSpan(message), contextFromTraceparent(message.traceparent)));
  try {
    return await handle(spans.map((span) => (work) => inContext(span.context, work)));
  } catch (error) {
    for (const span of spans) span.fail(error);
    throw error;
  } finally {
    for (const span of spans) span.end();
  }
}

function processSpan(message: InboundMessage): SpanSpec {
  return {
    name: `${message.topic} process ${message.type}`,
    kind: SpanKind.CONSUMER,
    attributes: {
      "messaging.system": "kafka",
      "messaging.operation.type": "process",
      "messaging.destination.name": message.topic,
      "messaging.message.id": message.id,
      "messaging.kafka.message.key": message.key,
    },
  };
}
