import { randomUUID } from "node:crypto";
import type { Knex } from "knex";
import {
  IdempotentConsumer,
  UnprocessableMessageError,
  type IdempotentConsumerOptions,
  type InboundMessage,
  type RetryDetail,
} from "../../../lib/inbox/idempotent-consumer";
import { FakePg } from "./fake-pg";

const serializationFailure = () => Object.assign(new Error("could not serialize access due to concurrent update"), { code: "40001" });
const connectionRefused = () => Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:15432"), { code: "ECONNREFUSED" });

let pg: FakePg;
let retries: { attempt: number; error: unknown; detail: RetryDetail }[];

beforeEach(() => {
  pg = new FakePg();
  retries = [];
});
afterEach(() => pg.db.destroy());

/** A handler that records the message as an effect, after failing with each of `failures` in turn. */
function thing(failures: unknown[] = []) {
  const calls: string[] = [];
  return {
    calls,
    handler: {
      schema: { label: "string" },
      async handle(trx: Knex.Transaction, message: InboundMessage<{ label: string }>) {
        calls.push(message.id);
        await trx("effects").insert({ label: message.payload.label });
        if (failures.length > 0) throw failures.shift();
      },
    },
  };
}

/** A consumer, with `processOne`: a batch of one message, as a partition with one message waiting delivers it. */
function consumerOf(handlers: IdempotentConsumerOptions["handlers"], options: Partial<IdempotentConsumerOptions> = {}) {
  const consumer = new IdempotentConsumer({
    consumer: "tests",
    db: () => pg.db,
    handlers,
    retry: { attempts: 3, baseDelayMs: 1 },
    backoff: { initialMs: 1, maxMs: 4 },
    retryReportIntervalMs: 0,
    onRetry: (_message, attempt, error, detail) => retries.push({ attempt, error, detail }),
    ...options,
  });
  return Object.assign(consumer, { processOne: async (message: InboundMessage) => (await consumer.processBatch([message]))[0]! });
}

const message = (overrides: Partial<InboundMessage> = {}): InboundMessage => ({
  id: randomUUID(),
  type: "Thing",
  key: "k",
  topic: "things",
  payload: { label: "one" },
  ...overrides,
});

test("a message is applied with its inbox row in one transaction", async () => {
  const { handler } = thing();
  const m = message();
  expect(await consumerOf({ Thing: handler }).processOne(m)).toEqual({ kind: "applied" });
  expect(pg.effects).toEqual(["one"]);
  expect([...pg.inbox]).toEqual([`tests/${m.id}`]);
});

test("a redelivered message is a duplicate and changes nothing", async () => {
  const { handler, calls } = thing();
  const consumer = consumerOf({ Thing: handler });
  const m = message();
  await consumer.processOne(m);
  expect(await consumer.processOne(m)).toEqual({ kind: "duplicate" });
  expect(calls).toHaveLength(1);
  expect(pg.effects).toEqual(["one"]);
});

test("a type without a handler is ignored without touching the database", async () => {
  expect(await consumerOf({ Thing: thing().handler }).processOne(message({ type: "Other" }))).toEqual({ kind: "ignored" });
  expect(pg.connects).toBe(0);
});

test.each([
  ["a payload failing its schema", message({ payload: { label: 7 } }), /^invalid Thing: .*label/],
  ["a payload that is not an object", message({ payload: "text" }), /not a JSON object/],
  ["an id that is not a UUID", message({ id: "42" }), /not a UUID/],
])("%s is dead-lettered without running the handler", async (_, m, reason) => {
  const { handler, calls } = thing();
  const outcome = await consumerOf({ Thing: handler }).processOne(m);
  expect(outcome).toEqual({ kind: "dead-letter", reason: expect.stringMatching(reason) });
  expect(calls).toHaveLength(0);
});

test("an UnprocessableMessageError dead-letters at once, and its writes roll back", async () => {
  const { handler, calls } = thing([new UnprocessableMessageError("order already cancelled")]);
  expect(await consumerOf({ Thing: handler }).processOne(message())).toEqual({ kind: "dead-letter", reason: "order already cancelled" });
  expect(calls).toHaveLength(1);
  expect(pg.effects).toEqual([]);
  expect(pg.inbox.size).toBe(0);
});

test("a transient error is retried far past the old limit of 5, then the message applies once", async () => {
  const { handler, calls } = thing(Array.from({ length: 12 }, serializationFailure));
  expect(await consumerOf({ Thing: handler }).processOne(message())).toEqual({ kind: "applied" });
  expect(calls).toHaveLength(13);
  expect(pg.effects).toEqual(["one"]);
  expect(retries).toHaveLength(12);
  expect(retries.every((r) => r.detail.transient)).toBe(true);
  // Doubling from 1 ms, capped at 4.
  expect(retries.map((r) => r.detail.delayMs).slice(0, 5)).toEqual([1, 2, 4, 4, 4]);
});

test("a database that refuses connections for a while is waited out", async () => {
  pg.connectFailures.push(...Array.from({ length: 8 }, connectionRefused));
  const { handler, calls } = thing();
  expect(await consumerOf({ Thing: handler }).processOne(message())).toEqual({ kind: "applied" });
  expect(calls).toHaveLength(1);
  expect(pg.connects).toBe(9);
});

test("a lasting transient error is reported at its first failure, then at most once per interval", async () => {
  const { handler } = thing(Array.from({ length: 10 }, serializationFailure));
  await consumerOf({ Thing: handler }, { retryReportIntervalMs: 60_000 }).processOne(message());
  expect(retries.map((r) => r.attempt)).toEqual([1]);
});

test("an error that is not transient is tried a bounded number of times, then dead-lettered with the reason", async () => {
  const { handler, calls } = thing(Array.from({ length: 10 }, () => new Error("boom")));
  expect(await consumerOf({ Thing: handler }).processOne(message())).toEqual({ kind: "dead-letter", reason: "handler failed 3 times: boom" });
  expect(calls).toHaveLength(3);
  expect(retries.map((r) => r.detail)).toEqual([
    expect.objectContaining({ transient: false, delayMs: 1 }),
    expect.objectContaining({ transient: false, delayMs: 2 }),
  ]);
  expect(pg.effects).toEqual([]);
  expect(pg.inbox.size).toBe(0);
});

test("transient errors do not use up the budget of the others", async () => {
  const failures = [serializationFailure(), new Error("boom"), ...Array.from({ length: 6 }, serializationFailure), new Error("boom")];
  const { handler, calls } = thing(failures);
  expect(await consumerOf({ Thing: handler }).processOne(message())).toEqual({ kind: "applied" });
  expect(calls).toHaveLength(10);
});

test("a failing after-commit step is reported and does not run the handler again", async () => {
  const afterCommitErrors: unknown[] = [];
  const calls: string[] = [];
  const consumer = consumerOf(
    {
      Thing: {
        async handle(trx, m) {
          calls.push(m.id);
          await trx("effects").insert({ label: "once" });
          return () => {
            throw new Error("broadcast failed");
          };
        },
      },
    },
    { onAfterCommitError: (_m, error) => afterCommitErrors.push(error) },
  );
  const m = message();
  expect(await consumer.processOne(m)).toEqual({ kind: "applied" });
  expect(await consumer.processOne(m)).toEqual({ kind: "duplicate" });
  expect(calls).toHaveLength(1);
  expect(pg.effects).toEqual(["once"]);
  expect(afterCommitErrors).toEqual([expect.objectContaining({ message: "broadcast failed" })]);
  expect(retries).toEqual([]);
});

describe("a batch", () => {
  const labelled = (label: string, overrides: Partial<InboundMessage> = {}) => message({ payload: { label }, ...overrides });
  /** A consumer whose handler records each label, and throws `refusal` for the one message given. */
  const refusingOne = (refused: InboundMessage, refusal: () => Error) =>
    consumerOf({
      Thing: {
        async handle(trx, m: InboundMessage<{ label: string }>) {
          if (m.id === refused.id) throw refusal();
          await trx("effects").insert({ label: m.payload.label });
        },
      },
    });

  test("is applied in one transaction, in order", async () => {
    const { handler } = thing();
    const batch = ["a", "b", "c", "d"].map((label) => labelled(label));
    const outcomes = await consumerOf({ Thing: handler }).processBatch(batch);
    expect(outcomes).toEqual(batch.map(() => ({ kind: "applied" })));
    expect(pg.effects).toEqual(["a", "b", "c", "d"]);
    expect(pg.commits).toBe(1);
    expect(pg.inbox.size).toBe(4);
  });

  test("with a poison message in the middle: the others apply once, in order, and the poison one is dead-lettered", async () => {
    const poison = labelled("poison");
    const consumer = refusingOne(poison, () => new Error("cannot apply this one"));
    const batch = [labelled("a"), labelled("b"), labelled("c"), poison, labelled("d"), labelled("e")];
    const outcomes = await consumer.processBatch(batch);
    expect(outcomes.map((o) => o.kind)).toEqual(["applied", "applied", "applied", "dead-letter", "applied", "applied"]);
    expect(outcomes[3]).toEqual({ kind: "dead-letter", reason: "handler failed 3 times: cannot apply this one" });
    expect(pg.effects).toEqual(["a", "b", "c", "d", "e"]);
    expect(pg.inbox.has(`tests/${poison.id}`)).toBe(false);
    // Each good message applied (committed) once, however often its batch was tried before the split.
    expect(new Set(pg.effects).size).toBe(5);
  });

  test("an UnprocessableMessageError is isolated the same way, and dead-lettered with its own reason", async () => {
    const bad = labelled("bad");
    const consumer = refusingOne(bad, () => new UnprocessableMessageError("order already cancelled"));
    const outcomes = await consumer.processBatch([bad, labelled("a"), labelled("b")]);
    expect(outcomes).toEqual([{ kind: "dead-letter", reason: "order already cancelled" }, { kind: "applied" }, { kind: "applied" }]);
    expect(pg.effects).toEqual(["a", "b"]);
  });

  test("a handler that takes runs gets each run of its fresh messages at once, in order, the others one by one between", async () => {
    const runs: string[][] = [];
    const { handler: single } = thing();
    const consumer = consumerOf({
      Many: {
        async handleAll(trx, ms: InboundMessage<{ label: string }>[]) {
          runs.push(ms.map((m) => m.payload.label));
          for (const m of ms) await trx("effects").insert({ label: m.payload.label });
        },
      },
      Thing: single,
    });
    const applied = labelled("applied before", { type: "Many" });
    await consumer.processOne(applied);
    runs.length = 0;
    const batch = [
      labelled("a", { type: "Many" }),
      labelled("b", { type: "Many" }),
      applied,
      labelled("c", { type: "Many" }),
      labelled("d"),
      labelled("e", { type: "Many" }),
    ];
    const outcomes = await consumer.processBatch(batch);
    expect(outcomes.map((o) => o.kind)).toEqual(["applied", "applied", "duplicate", "applied", "applied", "applied"]);
    // The duplicate and the other handler's message end a run.
    expect(runs).toEqual([["a", "b"], ["c"], ["e"]]);
    expect(pg.effects).toEqual(["applied before", "a", "b", "c", "d", "e"]);
    expect(pg.commits).toBe(2);
  });

  test("messages already applied, or delivered twice in the batch, are duplicates", async () => {
    const { handler, calls } = thing();
    const consumer = consumerOf({ Thing: handler });
    const earlier = labelled("earlier");
    await consumer.processOne(earlier);
    const twice = labelled("twice");
    const outcomes = await consumer.processBatch([earlier, twice, labelled("new"), twice]);
    expect(outcomes.map((o) => o.kind)).toEqual(["duplicate", "applied", "applied", "duplicate"]);
    expect(pg.effects).toEqual(["earlier", "twice", "new"]);
    expect(calls).toHaveLength(3);
  });

  test("messages that cannot be checked get their outcome at their place, without a handler call", async () => {
    const { handler, calls } = thing();
    const outcomes = await consumerOf({ Thing: handler }).processBatch([
      labelled("a"),
      message({ type: "Other" }),
      message({ id: "42" }),
      message({ payload: { label: 7 } }),
      labelled("b"),
    ]);
    expect(outcomes.map((o) => o.kind)).toEqual(["applied", "ignored", "dead-letter", "dead-letter", "applied"]);
    expect(calls).toHaveLength(2);
    expect(pg.commits).toBe(1);
  });

  test("a transient error of the whole batch is retried, then the batch applies once", async () => {
    const { handler, calls } = thing([serializationFailure()]);
    const outcomes = await consumerOf({ Thing: handler }).processBatch([labelled("a"), labelled("b")]);
    expect(outcomes.map((o) => o.kind)).toEqual(["applied", "applied"]);
    expect(pg.effects).toEqual(["a", "b"]);
    expect(calls).toHaveLength(3);
  });

  test("a transient error that persists is waited out message by message, nothing dead-lettered", async () => {
    const { handler } = thing(Array.from({ length: 9 }, serializationFailure));
    const outcomes = await consumerOf({ Thing: handler }).processBatch([labelled("a"), labelled("b"), labelled("c")]);
    expect(outcomes.map((o) => o.kind)).toEqual(["applied", "applied", "applied"]);
    expect(pg.effects).toEqual(["a", "b", "c"]);
  });
});
