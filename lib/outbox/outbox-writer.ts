/**
 * Appends messages to the outbox inside the caller's transaction, so a message
 * exists exactly when the business change that caused it commits. Debezium
 * streams the rows to Kafka: `aggregatetype` is the topic, `aggregateid` the
 * key (one key, one partition, commit order), `id` the message id consumers
 * dedupe on, `type` and `traceparent` ride as headers.
 */
import { randomUUID } from "node:crypto";
import type { Knex } from "knex";
import { traceparentOf } from "../telemetry/trace-context";

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

export class OutboxWriter {
  constructor(readonly table = "outbox") {}

  /** Appends the messages in one insert; returns their ids in order. */
  async append(trx: Knex.Transaction, messages: OutboxMessage | OutboxMessage[]): Promise<string[]> {
    const rows = this.rows(Array.isArray(messages) ? messages : [messages]);
    await this.insert(trx, rows);
    return rows.map((r) => r.id);
  }

  /** Writes rows made earlier by `rows` (several callers' messages, say), in one insert. */
  async insert(trx: Knex.Transaction, rows: OutboxRow[]): Promise<void> {
    if (rows.length > 0) await trx(this.table).insert(rows);
  }

  /**
   * The rows that would carry these messages, traced to the active context,
   * for a caller that writes them in a statement of its own (see `table`).
   */
  rows(messages: OutboxMessage[]): OutboxRow[] {
    const traceparent = traceparentOf() ?? null;
    return messages.map((m) => ({
      id: m.id ?? randomUUID(),
      aggregatetype: m.topic,
      aggregateid: m.key,
      type: m.type,
      payload: JSON.stringify(m.payload),
      traceparent,
    }));
  }
}
