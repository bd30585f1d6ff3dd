/**
 * Applies each inbound message at most once in effect: the message id is
 * recorded in `inbox` in the same transaction as the handler's writes, so a
 * redelivered message finds its id taken and changes nothing.
 *
 * Outcomes: `applied`; `duplicate` (already applied); `ignored` (a type this
 * consumer does not handle); `dead-letter` (the message can never be applied:
 * bad envelope, failed validation, an UnprocessableMessageError, or a handler
 * that kept failing with an error that is not transient).
 *
 * A transient error (lib/inbox/transient-errors.ts: database, Redis or Kafka
 * unavailable, serialization failure, deadlock) is retried without limit,
 * with a capped exponential backoff: `processBatch` does not return meanwhile, so
 * the partition waits behind this message and keeps its order, and a valid
 * message is never dead-lettered because something else was down.
 */
import Validator, { type ValidationRuleObject } from "fastest-validator";
import type { Knex } from "knex";
import { DEFAULT_BACKOFF, DEFAULT_REPORT_INTERVAL_MS, backoffDelay, reportThrottle, sleep, type Backoff } from "./backoff";
import { isTransientError } from "./transient-errors";

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

/**
 * Applies messages of a type: `handle` one at a time, or `handleAll` a run
 * of consecutive fresh messages at once (the same effect as applying each in
 * order, in fewer statements; a run may be one message). Handlers of several
 * types that share one `handleAll` function make one run.
 */
export type MessageHandler<TPayload = unknown> = {
  /** fastest-validator schema for the payload; a message that fails it is dead-lettered. */
  schema?: Record<string, ValidationRuleObject | string | unknown>;
} & (
  | { handle(trx: Knex.Transaction, message: InboundMessage<TPayload>): Promise<void | AfterCommit>; handleAll?: undefined }
  | { handleAll(trx: Knex.Transaction, messages: InboundMessage<TPayload>[]): Promise<void>; handle?: undefined }
);

export type Outcome = { kind: "applied" } | { kind: "duplicate" } | { kind: "ignored" } | { kind: "dead-letter"; reason: string };

export interface RetryDetail {
  /** Transient errors are retried without limit; others `retry.attempts` times in all. */
  transient: boolean;
  /** How long until the next try. */
  delayMs: number;
  /** Since the first try of this message. */
  failingForMs: number;
}

export interface IdempotentConsumerOptions {
  /** Name under which applied ids are recorded; one per consuming service. */
  consumer: string;
  db: () => Knex;
  handlers: Record<string, MessageHandler<any>>;
  /** Tries in all for an error that is not transient (it may be about the message), then it is dead-lettered; waits double from baseDelayMs. */
  retry?: { attempts: number; baseDelayMs: number };
  /** Waits between tries after a transient error, which is retried without limit. */
  backoff?: Backoff;
  /** A transient error that persists is reported through onRetry at its first failure, then at most once per this interval. */
  retryReportIntervalMs?: number;
  onRetry?: (message: InboundMessage, attempt: number, error: unknown, detail: RetryDetail) => void;
  onAfterCommitError?: (message: InboundMessage, error: unknown) => void;
  /**
   * Runs in each transaction before the handlers, with the messages it is
   * about to apply: locks the shared rows they will change (a wallet, a
   * product), in one fixed order. Concurrent transactions then wait for each
   * other instead of deadlocking, which a batch that takes its locks message
   * by message would do.
   */
  lockShared?: (trx: Knex.Transaction, messages: InboundMessage[]) => Promise<void>;
}

/** Thrown by a handler for a message that can never be applied: it is dead-lettered at once, not retried. */
export class UnprocessableMessageError extends Error {
  override readonly name: string = "UnprocessableMessageError";
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class IdempotentConsumer {
  private readonly checks = new Map<string, (payload: unknown) => true | string>();
  private readonly retry: { attempts: number; baseDelayMs: number };
  private readonly backoff: Backoff;

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
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  /**
   * Applies a partition's messages in their order, in as few transactions as
   * it can: the whole batch in one (one multi-row inbox claim, one commit);
   * a batch that fails with an error that is not transient, or keeps failing
   * with one that is, is split in halves, down to single messages, which are
   * then tried alone, with retries. So a poison message is isolated
   * and dead-lettered while the others apply once each, in order.
   *
   * @returns the outcome of each message, at its index.
   */
  async processBatch(messages: InboundMessage[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    const runnable: Checked[] = [];
    messages.forEach((message, index) => {
      const checked = this.check(message, index);
      if ("handler" in checked) runnable.push(checked);
      else outcomes[index] = checked;
    });
    await this.applyBatch(runnable, outcomes);
    return outcomes;
  }

  /** The outcome of a message that cannot be applied, or what applying it takes. */
  private check(message: InboundMessage, index = 0): Outcome | Checked {
    if (!UUID.test(message.id)) return { kind: "dead-letter", reason: `message id is not a UUID: ${JSON.stringify(message.id)}` };
    const handler = this.options.handlers[message.type];
    if (!handler) return { kind: "ignored" };
    if (typeof message.payload !== "object" || message.payload === null) {
      return { kind: "dead-letter", reason: "payload is not a JSON object" };
    }
    const valid = this.checks.get(message.type)?.(message.payload) ?? true;
    if (valid !== true) return { kind: "dead-letter", reason: `invalid ${message.type}: ${valid}` };
    return { index, message, handler };
  }

  private async applyBatch(batch: Checked[], outcomes: Outcome[]): Promise<void> {
    if (batch.length === 0) return;
    if (batch.length === 1) {
      outcomes[batch[0].index] = await this.applyWithRetries(batch[0]);
      return;
    }
    for (let failures = 1; ; failures++) {
      let applied: Applied[];
      try {
        applied = await this.applyTogether(batch);
      } catch (error) {
        // A transient error is likely about the moment, not the batch: worth a few more tries before a smaller transaction.
        if (isTransientError(error) && failures < BATCH_TRANSIENT_TRIES) {
          await sleep(backoffDelay(failures, this.backoff));
          continue;
        }
        const half = Math.ceil(batch.length / 2);
        await this.applyBatch(batch.slice(0, half), outcomes);
        await this.applyBatch(batch.slice(half), outcomes);
        return;
      }
      for (const [i, item] of batch.entries()) outcomes[item.index] = await this.settle(item.message, applied[i]);
      return;
    }
  }

  private async applyWithRetries({ message, handler }: Checked): Promise<Outcome> {
    const firstTryAt = Date.now();
    const shouldReportTransient = reportThrottle(this.options.retryReportIntervalMs ?? DEFAULT_REPORT_INTERVAL_MS);
    let transientFailures = 0;
    let otherFailures = 0;
    for (let attempt = 1; ; attempt++) {
      let applied: Applied;
      try {
        // A commit whose outcome was lost with the connection is safe to retry: if it did commit, the inbox answers `duplicate`.
        [applied] = await this.applyTogether([{ index: 0, message, handler }]);
      } catch (error) {
        if (error instanceof UnprocessableMessageError) return { kind: "dead-letter", reason: error.message };
        const transient = isTransientError(error);
        let delayMs: number;
        if (transient) {
          delayMs = backoffDelay(++transientFailures, this.backoff);
        } else {
          if (++otherFailures >= this.retry.attempts) {
            return { kind: "dead-letter", reason: `handler failed ${otherFailures} times: ${errorMessage(error)}` };
          }
          delayMs = this.retry.baseDelayMs * 2 ** (otherFailures - 1);
        }
        // Other errors are few by construction; a lasting outage would otherwise log every few seconds per partition.
        if (!transient || shouldReportTransient()) {
          this.options.onRetry?.(message, attempt, error, { transient, delayMs, failingForMs: Date.now() - firstTryAt });
        }
        await sleep(delayMs);
        continue;
      }
      return this.settle(message, applied);
    }
  }

  private async settle(message: InboundMessage, applied: Applied): Promise<Outcome> {
    if (!applied.fresh) return { kind: "duplicate" };
    // The effect is committed: a failing follow-up (thrown or rejected) must not re-run the handler nor dead-letter the message.
    const { afterCommit } = applied;
    await (async () => afterCommit?.())().catch((error: unknown) => this.options.onAfterCommitError?.(message, error));
    return { kind: "applied" };
  }

  /** One transaction: claims every id in one insert, then runs the handler of each message it claimed, in order. */
  private applyTogether(batch: Checked[]): Promise<Applied[]> {
    return this.options.db().transaction(async (trx) => {
      const ids = [...new Set(batch.map((item) => item.message.id))];
      const claimed: { message_id: string }[] = await trx("inbox")
        .insert(ids.map((id) => ({ consumer: this.options.consumer, message_id: id })))
        .onConflict(["consumer", "message_id"])
        .ignore()
        .returning("message_id");
      // A message delivered twice within one batch is fresh the first time only.
      const unclaimed = new Set(claimed.map((row) => row.message_id));
      const toApply = batch.filter((item) => unclaimed.has(item.message.id)).map((item) => item.message);
      if (toApply.length > 0) await this.options.lockShared?.(trx, toApply);
      const applied: Applied[] = batch.map(({ message }) => ({ fresh: unclaimed.delete(message.id), afterCommit: undefined }));
      for (let i = 0; i < batch.length;) {
        const { message, handler } = batch[i];
        if (!applied[i].fresh) {
          i += 1;
        } else if (handler.handleAll) {
          // The run of fresh messages for this same handleAll (types may share one, each with its own schema), applied at once.
          let end = i + 1;
          while (end < batch.length && batch[end].handler.handleAll === handler.handleAll && applied[end].fresh) end += 1;
          await handler.handleAll(
            trx,
            batch.slice(i, end).map((item) => item.message),
          );
          i = end;
        } else {
          applied[i].afterCommit = await handler.handle(trx, message);
          i += 1;
        }
      }
      return applied;
    });
  }
}

/** A message that passed the checks, with its handler and its place in the batch. */
interface Checked {
  index: number;
  message: InboundMessage;
  handler: MessageHandler;
}

interface Applied {
  fresh: boolean;
  afterCommit: void | AfterCommit;
}

// Tries of a whole batch after transient errors before it is split (single messages retry those without limit).
const BATCH_TRANSIENT_TRIES = 3;

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
