/**
 * The Kafka topics of the system. Each is an outbox `aggregatetype`; the
 * stack creates them (and their dead-letter topics) up front with these
 * partition counts rather than leaving it to broker auto-creation.
 * A consumer works its partitions in parallel and each one in order, so the
 * partition count bounds a consumer's parallelism: the orchestrator's
 * saga.replies (four replies per purchase) gets the most.
 */
export const ACCOUNT_EVENTS_TOPIC = "account.events";
export const PRODUCT_EVENTS_TOPIC = "product.events";
export const PRODUCT_COMMANDS_TOPIC = "product.commands";
export const ORDER_COMMANDS_TOPIC = "order.commands";
export const PAYMENT_COMMANDS_TOPIC = "payment.commands";
export const PURCHASE_EVENTS_TOPIC = "purchase.events";
export const PURCHASE_RESULTS_TOPIC = "purchase.results";
export const SAGA_REPLIES_TOPIC = "saga.replies";

export const TOPICS = {
  [ACCOUNT_EVENTS_TOPIC]: 6,
  [PRODUCT_EVENTS_TOPIC]: 6,
  [PRODUCT_COMMANDS_TOPIC]: 12,
  [ORDER_COMMANDS_TOPIC]: 12,
  [PAYMENT_COMMANDS_TOPIC]: 12,
  [PURCHASE_EVENTS_TOPIC]: 12,
  [PURCHASE_RESULTS_TOPIC]: 12,
  [SAGA_REPLIES_TOPIC]: 24,
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
  [ACCOUNT_EVENTS_TOPIC]: [{ service: "payment", consumer: "payment" }],
  [PRODUCT_EVENTS_TOPIC]: [{ service: "product", consumer: "product-filter" }],
  [PRODUCT_COMMANDS_TOPIC]: [{ service: "product", consumer: "product" }],
  [ORDER_COMMANDS_TOPIC]: [{ service: "order", consumer: "order" }],
  [PAYMENT_COMMANDS_TOPIC]: [{ service: "payment", consumer: "payment" }],
  [PURCHASE_EVENTS_TOPIC]: [{ service: "orchestrator", consumer: "orchestrator" }],
  [PURCHASE_RESULTS_TOPIC]: [{ service: "purchase", consumer: "purchase" }],
  [SAGA_REPLIES_TOPIC]: [{ service: "orchestrator", consumer: "orchestrator" }],
};

/** The consumer of `topic` in `service`: its channel's group name. */
export function consumerOf(topic: Topic, service: string): string {
  const reader = TOPIC_READERS[topic].find((r) => r.service === service);
  if (!reader) throw new Error(`${service} does not read ${topic} (contracts/topics.ts)`);
  return reader.consumer;
}

/**
 * Partitions a consumer of `topic` works at once: all of a declared topic's.
 * A topic the system does not declare (a test's private one) gets
 * UNDECLARED_TOPIC_CONCURRENCY, more than such a topic has.
 */
const UNDECLARED_TOPIC_CONCURRENCY = 6;
const DECLARED_PARTITIONS: ReadonlyMap<string, number> = new Map(Object.entries(TOPICS));

/** Whether the system declares `topic` (a test's private topic it does not). */
export function isDeclaredTopic(topic: string): topic is Topic {
  return DECLARED_PARTITIONS.has(topic);
}

export function consumerConcurrency(topic: string): number {
  return DECLARED_PARTITIONS.get(topic) ?? UNDECLARED_TOPIC_CONCURRENCY;
}
