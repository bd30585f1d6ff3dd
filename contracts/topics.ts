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
