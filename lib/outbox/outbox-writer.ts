/**
 * Appends messages to the outbox inside the caller's transaction, so a message
 * exists exactly when the business change that caused it commits. Debezium
 * streams the rows to Kafka: `aggregatetype` is the topic, `aggregateid` the
 * key (one key, one partition, commit order), `id` the message id consumers
 * dedupe on, `type` and `traceparent` ride as headers.
 */
import { randomUUID } from "node:crypto";
import { context, propagation } from "@opentelemetry/api";
import type { Knex } from "knex";

/** A message bound for `topic`, partitioned by `key`. */
export interface OutboxMessage<TType extends string = string, TPayload = unknown> {
  topic: string;
  key: string;
  type: TType;
  payload: TPayload;
  /** Set it to make the append itself idempotent; otherwise a fresh UUID. */
  id?: string;
}

export interface OutboxRow {
  id: string;
  aggregatetype: string;
  aggregateid: string;
  type: string;
  payload: string;
  traceparent: string | null;
}

function currentTraceparent(): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

export class OutboxWriter {
  constructor(private readonly table = "outbox") {}

  /** Appends the messages in one insert; returns their ids in order. */
  async append(trx: Knex.Transaction, messages: OutboxMessage | OutboxMessage[]): Promise<string[]> {
    const list = Array.isArray(messages) ? messages : [messages];
    if (list.length === 0) return [];
    const traceparent = currentTraceparent();
    const rows: OutboxRow[] = list.map((m) => ({
      id: m.id ?? randomUUID(),
      aggregatetype: m.topic,
      aggregateid: m.key,
      type: m.type,
      payload: JSON.stringify(m.payload),
      traceparent,
    }));
    await trx(this.table).insert(rows);
    return rows.map((r) => r.id);
  }
}
