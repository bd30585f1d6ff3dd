/**
 * The Kafka topics of the system. Each is an outbox `aggregatetype`; the
 * stack creates them (and their dead-letter topics) up front with these
 * partition counts rather than leaving it to broker auto-creation.
 * A consumer works its partitions in parallel and each one in order, so the
 * partition count bounds a consumer's parallelism: the orchestrator's
 * saga.replies (four replies per purchase) gets the most.
 */
export const TOPICS = {
  "account.events": 6,
  "product.events": 6,
  "product.commands": 12,
  "order.commands": 12,
  "payment.commands": 12,
  "purchase.events": 12,
  "purchase.results": 12,
  "saga.replies": 24,
} as const;

export type Topic = keyof typeof TOPICS;

export interface TopicReader {
  /** The service (its folder under services/) that consumes the topic. */
  service: string;
  /** The consumer name its channel gives: the group is `<consumer>:<topic>` (consumerGroupId). */
  consumer: string;
}

/**
 * Who reads each topic. Kafka's ACLs give each service's principal exactly
 * these topics and groups (stack/kafka-access.ts), and the orchestrator waits
 * on its participants' groups before a deadline (the delivery probe).
 */
export const TOPIC_READERS: Readonly<Record<Topic, readonly TopicReader[]>> = {
  "account.events": [{ service: "payment", consumer: "payment" }],
  "product.events": [{ service: "product", consumer: "product-filter" }],
  "product.commands": [{ service: "product", consumer: "product" }],
  "order.commands": [{ service: "order", consumer: "order" }],
  "payment.commands": [{ service: "payment", consumer: "payment" }],
  "purchase.events": [{ service: "orchestrator", consumer: "orchestrator" }],
  "purchase.results": [{ service: "purchase", consumer: "purchase" }],
  "saga.replies": [{ service: "orchestrator", consumer: "orchestrator" }],
};

/**
 * Partitions a consumer of `topic` works at once: all of a declared topic's.
 * A topic the system does not declare (a test's private one) gets
 * UNDECLARED_TOPIC_CONCURRENCY, more than such a topic has.
 */
const UNDECLARED_TOPIC_CONCURRENCY = 6;
const DECLARED_PARTITIONS: ReadonlyMap<string, number> = new Map(Object.entries(TOPICS));

export function consumerConcurrency(topic: string): number {
  return DECLARED_PARTITIONS.get(topic) ?? UNDECLARED_TOPIC_CONCURRENCY;
}
