/**
 * The Kafka topics of the system. Each is an outbox `aggregatetype`; the
 * stack creates them (and their dead-letter topics) up front with these
 * partition counts rather than leaving it to broker auto-creation.
 */
export const TOPICS = {
  "account.events": 6,
  "product.events": 6,
  "product.commands": 6,
  "order.commands": 6,
  "payment.commands": 6,
  "purchase.events": 6,
  "purchase.results": 6,
  "saga.replies": 6,
} as const;

export type Topic = keyof typeof TOPICS;
