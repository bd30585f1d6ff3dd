/**
 * Applies each inbound message at most once in effect: the message id is
 * recorded in `inbox` in the same transaction as the handler's writes, so a
 * redelivered message finds its id taken and changes nothing.
 *
 * Outcomes: `applied`; `duplicate` (already applied); `ignored` (a type this
 * consumer does not handle); `dead-letter` (the message can never be applied:
 * bad envelope, failed validation, or a handler that kept failing).
 */
import Validator, { type ValidationRuleObject } from "fastest-validator";
import type { Knex } from "knex";

export interface InboundMessage<TPayload = unknown> {
  id: string;
  type: string;
  key: string;
  topic: string;
  payload: TPayload;
  traceparent?: string;
}

/** Runs after the transaction commits (cache invalidation, live notifications). */
export type AfterCommit = () => void | Promise<void>;

export interface MessageHandler<TPayload = unknown> {
  /** fastest-validator schema for the payload; a message that fails it is dead-lettered. */
  schema?: Record<string, ValidationRuleObject | string | unknown>;
  handle(trx: Knex.Transaction, message: InboundMessage<TPayload>): Promise<void | AfterCommit>;
}

export type Outcome = { kind: "applied" } | { kind: "duplicate" } | { kind: "ignored" } | { kind: "dead-letter"; reason: string };

export interface IdempotentConsumerOptions {
  /** Name under which applied ids are recorded; one per consuming service. */
  consumer: string;
  db: () => Knex;
  handlers: Record<string, MessageHandler<any>>;
  /** In-place retries for errors that may pass (lost connection, serialization failure). */
  retry?: { attempts: number; baseDelayMs: number };
  onRetry?: (message: InboundMessage, attempt: number, error: unknown) => void;
  onAfterCommitError?: (message: InboundMessage, error: unknown) => void;
}

/** Thrown by a handler for a message that can never be applied: it is dead-lettered at once, not retried. */
export class UnprocessableMessageError extends Error {
  override readonly name: string = "UnprocessableMessageError";
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class IdempotentConsumer {
  private readonly checks = new Map<string, (payload: unknown) => true | string>();
  private readonly retry: { attempts: number; baseDelayMs: number };

  constructor(private readonly options: IdempotentConsumerOptions) {
    const validator = new Validator();
    for (const [type, handler] of Object.entries(options.handlers)) {
      if (!handler.schema) continue;
      const check = validator.compile({ $$root: false, ...handler.schema } as never) as (v: unknown) => true | { field: string; message: string }[];
      this.checks.set(type, (payload) => {
        const result = check(payload);
        return result === true ? true : result.map((e) => e.message).join("; ");
      });
    }
    this.retry = options.retry ?? { attempts: 5, baseDelayMs: 200 };
  }

  async process(message: InboundMessage): Promise<Outcome> {
    if (!UUID.test(message.id)) return { kind: "dead-letter", reason: `message id is not a UUID: ${JSON.stringify(message.id)}` };
    const handler = this.options.handlers[message.type];
    if (!handler) return { kind: "ignored" };
    if (typeof message.payload !== "object" || message.payload === null) {
      return { kind: "dead-letter", reason: "payload is not a JSON object" };
    }
    const valid = this.checks.get(message.type)?.(message.payload) ?? true;
    if (valid !== true) return { kind: "dead-letter", reason: `invalid ${message.type}: ${valid}` };

    for (let attempt = 1; ; attempt++) {
      let applied: { fresh: boolean; afterCommit: void | AfterCommit };
      try {
        applied = await this.applyOnce(handler, message);
      } catch (error) {
        if (error instanceof UnprocessableMessageError) return { kind: "dead-letter", reason: error.message };
        if (attempt >= this.retry.attempts) {
          return { kind: "dead-letter", reason: `handler failed ${attempt} times: ${(error as Error).message}` };
        }
        this.options.onRetry?.(message, attempt, error);
        await new Promise((r) => setTimeout(r, this.retry.baseDelayMs * 2 ** (attempt - 1)));
        continue;
      }
      if (!applied.fresh) return { kind: "duplicate" };
      // The effect is committed: a failing follow-up must not re-run the handler.
      await Promise.resolve(applied.afterCommit?.()).catch((error) => this.options.onAfterCommitError?.(message, error));
      return { kind: "applied" };
    }
  }

  private applyOnce(handler: MessageHandler, message: InboundMessage) {
    return this.options.db().transaction(async (trx) => {
      const claimed = await trx("inbox")
        .insert({ consumer: this.options.consumer, message_id: message.id })
        .onConflict(["consumer", "message_id"])
        .ignore()
        .returning("message_id");
      if (claimed.length === 0) return { fresh: false, afterCommit: undefined };
      return { fresh: true, afterCommit: await handler.handle(trx, message) };
    });
  }
}
