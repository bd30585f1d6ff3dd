/**
 * A consumed Kafka message continues the trace its producer started: its
 * handler runs in a span whose parent is the message's `traceparent` header
 * (written by Debezium from the outbox row), so what the handler does (its
 * queries, its outbox rows and the messages they become) joins that trace,
 * and so does its after-commit step (a broadcast to the gateways, say).
 */
import type { AfterCommit, InboundMessage } from "../inbox/idempotent-consumer";
import { SpanKind, contextFromTraceparent, inContext, inSpan } from "./trace-context";

export function handleInMessageTrace(message: InboundMessage, handle: () => Promise<void | AfterCommit>): Promise<void | AfterCommit> {
  const spec = {
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
  return inSpan(spec, contextFromTraceparent(message.traceparent), async (spanContext) => {
    const afterCommit = await handle();
    return afterCommit && (() => inContext(spanContext, afterCommit));
  });
}
