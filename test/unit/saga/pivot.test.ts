/**
 * The saga model with a pivot: compensatable steps, the pivot, retriable steps.
 *   hold: compensatable, undone by Release (which may answer ReleaseRefused)
 *   charge: the pivot, undone by Refund when its outcome is unknown
 *   ship: retriable, re-sent with capped exponential backoff, parked after 4 sends
 */
import type { Knex } from "knex";
import { defineSaga, type StepBuilder } from "../../../lib/saga/definition";
import { replyFor, type SagaCommand } from "../../../lib/saga/messages";
import { SagaEngine, type DeliveryProbe } from "../../../lib/saga/saga-engine";
import type { SagaState } from "../../../lib/saga/state";
import { replyWaitMs, transition, type SagaEvent, type TransitionResult } from "../../../lib/saga/transitions";
import { MemorySagaStore } from "./memory-saga-store";
import { TEST_RESULTS, anyMessage } from "./test-messages";

type Data = { n: number };
const SAGA_ID = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
const T0 = new Date("2030-01-01T00:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);
const topics = { replyTopic: "saga.replies", results: TEST_RESULTS };
const nothing = () => ({});
const undo = { ms: 1_000, maxAttempts: 2, backoffMs: 0 };

const saga = defineSaga<Data>("shop", 1, topics)
  .step("hold")
  .invoke(anyMessage("Hold", "stock.commands"), nothing)
  .onReply(anyMessage("Held"))
  .onFailure(anyMessage("HoldRefused"))
  .withCompensation({
    command: anyMessage("Release", "stock.commands"),
    payload: nothing,
    reply: anyMessage("Released"),
    failureReplies: [anyMessage("ReleaseRefused")],
    timeout: undo,
  })
  .timeout({ ms: 1_000, policy: "retry", maxAttempts: 2, backoffMs: 0 })
  .step("charge")
  .pivot()
  .invoke(anyMessage("Charge", "money.commands"), nothing)
  .onReply(anyMessage("Charged"))
  .onFailure(anyMessage("ChargeDeclined"))
  .withCompensation({ command: anyMessage("Refund", "money.commands"), payload: nothing, reply: anyMessage("Refunded"), timeout: undo })
  .timeout({ ms: 1_000, policy: "retry", maxAttempts: 2, backoffMs: 0 })
  .step("ship")
  .retriable()
  .invoke(anyMessage("Ship", "shipping.commands"), nothing)
  .onReply(anyMessage("Shipped"))
  .timeout({ ms: 1_000, policy: "retry", maxAttempts: 4, backoffMs: 1_000, maxWaitMs: 2_500 })
  .build();

let replies = 0;
const run = (state: SagaState<Data> | null, event: SagaEvent<Data>) => transition(saga, state, event);
const sent = (result: TransitionResult<Data>) => result.messages.map((m) => m.payload as SagaCommand);
const only = (result: TransitionResult<Data>): SagaCommand => {
  expect(result.messages).toHaveLength(1);
  return sent(result)[0]!;
};
function answer(result: TransitionResult<Data>, type: string, to = only(result)): TransitionResult<Data> {
  replies += 1;
  const messageId = `00000000-0000-4000-8000-${String(replies).padStart(12, "0")}`;
  return run(result.state, { type: "Reply", messageId, reply: replyFor(to, type, {}), now: at(replies) });
}
const deadline = (result: TransitionResult<Data>) => run(result.state, { type: "StepDeadlinePassed", now: result.state.deadlineAt! });
const started = () => run(null, { type: "Start", sagaId: SAGA_ID, data: { n: 1 }, now: T0 });
const atShip = () => answer(answer(started(), "Held"), "Charged");

describe("building a saga with a pivot", () => {
  const topicAndReply = (b: StepBuilder<Data>) => b.invoke(anyMessage("Do", "t"), nothing).onReply(anyMessage("Ok"));
  const retry = { ms: 1, policy: "retry", maxAttempts: 1, backoffMs: 0 } as const;

  it("records each step's kind", () => {
    expect(saga.steps.map((s) => `${s.name}:${s.kind}`)).toEqual(["hold:compensatable", "charge:pivot", "ship:retriable"]);
  });

  it.each([
    [
      "two pivots",
      () =>
        topicAndReply(
          topicAndReply(defineSaga<Data>("s", 1, topics).step("a").pivot())
            .timeout(retry)
            .step("b")
            .pivot(),
        )
          .timeout(retry)
          .build(),
      /only one step may be the pivot, not "a", "b"/,
    ],
    [
      "a compensatable step after the pivot",
      () =>
        topicAndReply(
          topicAndReply(defineSaga<Data>("s", 1, topics).step("a").pivot())
            .timeout(retry)
            .step("b"),
        )
          .timeout(retry)
          .build(),
      /step "b" follows the pivot, so it must be retriable/,
    ],
    [
      "a retriable step before the pivot",
      () =>
        topicAndReply(
          topicAndReply(defineSaga<Data>("s", 1, topics).step("a").retriable())
            .timeout(retry)
            .step("b")
            .pivot(),
        )
          .timeout(retry)
          .build(),
      /step "a" is retriable, so it must follow the pivot/,
    ],
    [
      "a retriable step that can fail",
      () =>
        topicAndReply(
          topicAndReply(defineSaga<Data>("s", 1, topics).step("a").pivot())
            .timeout(retry)
            .step("b")
            .retriable(),
        )
          .onFailure(anyMessage("No"))
          .timeout(retry)
          .build(),
      /step "b" is retriable, so it cannot declare failure replies/,
    ],
    [
      "a retriable step with a compensation",
      () =>
        topicAndReply(
          topicAndReply(defineSaga<Data>("s", 1, topics).step("a").pivot())
            .timeout(retry)
            .step("b")
            .retriable(),
        )
          .withCompensation({ command: anyMessage("Undo", "t"), payload: nothing, reply: anyMessage("Undone"), timeout: undo })
          .timeout(retry)
          .build(),
      /step "b" is retriable, so it is never compensated/,
    ],
    [
      "a retriable step that gives up",
      () =>
        topicAndReply(
          topicAndReply(defineSaga<Data>("s", 1, topics).step("a").pivot())
            .timeout(retry)
            .step("b")
            .retriable(),
        )
          .timeout({ ms: 1, policy: "compensate" })
          .build(),
      /step "b" is retriable, so its timeout policy must be "retry"/,
    ],
    [
      "a compensation reply that is both",
      () =>
        topicAndReply(defineSaga<Data>("s", 1, topics).step("a"))
          .withCompensation({
            command: anyMessage("Undo", "t"),
            payload: nothing,
            reply: anyMessage("Undone"),
            failureReplies: [anyMessage("Undone")],
            timeout: undo,
          })
          .timeout(retry)
          .build(),
      /compensation treats "Undone" as both success and failure/,
    ],
    [
      "a cap below the first wait",
      () =>
        topicAndReply(defineSaga<Data>("s", 1, topics).step("a"))
          .timeout({ ...retry, ms: 10, maxWaitMs: 5 })
          .build(),
      /maxWaitMs must be at least ms/,
    ],
    [
      "a jitter above 1",
      () =>
        topicAndReply(defineSaga<Data>("s", 1, topics).step("a"))
          .timeout({ ...retry, jitter: 2 })
          .build(),
      /jitter must be between 0 and 1/,
    ],
  ])("refuses %s", (_case, build, message) => {
    expect(build).toThrow(message);
  });
});

describe("up to the pivot", () => {
  it("a pivot that never answers is compensated too, since the charge may have happened", () => {
    const charging = answer(started(), "Held");
    const gaveUp = deadline(deadline(charging));
    expect(sent(gaveUp).map((c) => c.type)).toEqual(["Refund"]);
    expect(gaveUp.state).toMatchObject({ status: "COMPENSATING", failureReason: 'step "charge" got no reply after 2 attempts' });
  });

  it("a refusal at the pivot undoes only the steps before it", () => {
    const declined = answer(answer(started(), "Held"), "ChargeDeclined");
    expect(only(declined).type).toBe("Release");
    expect(answer(declined, "Released").state.status).toBe("FAILED");
  });

  it("a compensation the participant cannot undo parks the saga and sends nothing more", () => {
    const releasing = answer(answer(started(), "Held"), "ChargeDeclined");
    const refused = run(releasing.state, {
      type: "Reply",
      messageId: "00000000-0000-4000-8000-0000000000f1",
      reply: replyFor(only(releasing), "ReleaseRefused", { reason: "already shipped" }),
      now: at(50),
    });
    expect(refused.state).toMatchObject({ status: "NEEDS_ATTENTION", currentStep: 0, deadlineAt: null });
    expect(refused.messages).toEqual([]);
    expect(refused.log.find((e) => e.kind === "saga_parked")?.detail).toEqual({
      reason: 'compensation of step "hold" refused: ReleaseRefused (already shipped)',
    });
  });
});

describe("after the pivot", () => {
  it("a retriable step is re-sent with capped exponential backoff, then parked, never compensated", () => {
    const sends = [atShip()];
    for (let i = 1; i < 4; i++) sends.push(deadline(sends[i - 1]!));
    expect(sends.map((r) => `${only(r).type}#${only(r).correlation.attempt}`)).toEqual(["Ship#1", "Ship#2", "Ship#3", "Ship#4"]);
    // ms + backoffMs × (2^(n-1) − 1), at most maxWaitMs: 1 s, 2 s, then the 2.5 s cap.
    const waits = sends.map((r) => r.state.deadlineAt!.getTime() - r.log.find((e) => e.kind === "command_sent")!.at.getTime());
    expect(waits).toEqual([1_000, 2_000, 2_500, 2_500]);

    const parked = deadline(sends[3]!);
    expect(parked.messages).toEqual([]);
    expect(parked.state).toMatchObject({ status: "NEEDS_ATTENTION", currentStep: 2, failureReason: null, deadlineAt: null });
    expect(parked.log.map((e) => e.kind)).toEqual(["deadline_passed", "saga_parked"]);
  });

  it("a parked retriable step is re-sent forward by the operator, and any attempt's reply completes the saga", () => {
    let result = atShip();
    const firstShip = only(result);
    for (let i = 0; i < 4; i++) result = deadline(result);
    expect(result.state.status).toBe("NEEDS_ATTENTION");

    const retried = run(result.state, { type: "OperatorRetry", operator: "operator-1", now: at(60_000) });
    expect(only(retried).correlation).toMatchObject({ step: 2, direction: "forward", attempt: 5 });
    expect(retried.state.status).toBe("RUNNING");

    const completed = answer(retried, "Shipped", firstShip);
    expect(completed.state.status).toBe("COMPLETED");
  });

  it("a late reply completes a parked saga without an operator", () => {
    let result = atShip();
    const firstShip = only(result);
    for (let i = 0; i < 4; i++) result = deadline(result);
    expect(answer(result, "Shipped", firstShip).state.status).toBe("COMPLETED");
  });
});

describe("a cancel request", () => {
  const CANCEL = { type: "CancelRequested", sagaId: SAGA_ID, requestedBy: "customer-7", reason: "cancelled by customer", data: { n: 1 } } as const;
  const cancel = (result: TransitionResult<Data> | null, now = at(500)) =>
    run(result && result.state, { ...CANCEL, messageId: "00000000-0000-4000-8000-0000000000c1", now });
  const asked = { requestedBy: "customer-7" };

  it("before the pivot undoes the step in flight and what came before, and the saga fails with the given reason", () => {
    const holding = started();
    const stopped = cancel(holding);
    expect(sent(stopped).map((c) => `${c.type}:${c.correlation.direction}`)).toEqual(["Release:compensate"]);
    expect(stopped.state).toMatchObject({ status: "COMPENSATING", currentStep: 0, failureReason: "cancelled by customer" });
    expect(stopped.log[0]).toMatchObject({ kind: "cancel_accepted", messageId: "00000000-0000-4000-8000-0000000000c1", detail: asked });
    const failed = answer(stopped, "Released");
    expect(failed.state).toMatchObject({ status: "FAILED", failureReason: "cancelled by customer" });
  });

  it("while the pivot is in flight refunds it too, since the charge may have happened, and a late success is ignored", () => {
    const charging = answer(started(), "Held");
    const charge = only(charging);
    const stopped = cancel(charging);
    expect(sent(stopped).map((c) => c.type)).toEqual(["Refund"]);
    const lateCharge = answer(stopped, "Charged", charge);
    expect(lateCharge.changed).toBe(false);
    const failed = answer(answer(stopped, "Refunded"), "Released");
    expect(failed.state).toMatchObject({ status: "FAILED", failureReason: "cancelled by customer" });
  });

  it("once the pivot has succeeded is refused, with who asked in the log, and the saga completes", () => {
    const shipping = atShip();
    const refused = cancel(shipping);
    expect(refused.changed).toBe(false);
    expect(refused.messages).toEqual([]);
    expect(refused.log).toEqual([
      expect.objectContaining({ kind: "cancel_refused", detail: { ...asked, reason: "the pivot has succeeded: the saga can only complete" } }),
    ]);
    expect(answer(shipping, "Shipped").state.status).toBe("COMPLETED");
  });

  it("is refused by a saga already undoing or ended, and a second cancel changes nothing", () => {
    const stopped = cancel(started());
    expect(cancel(stopped).log[0]).toMatchObject({ kind: "cancel_refused", detail: { reason: "the saga is already being undone (COMPENSATING)" } });
    const failed = answer(stopped, "Released");
    expect(cancel(failed)).toMatchObject({
      changed: false,
      messages: [],
      log: [{ kind: "cancel_refused", detail: { reason: "the saga has already ended (FAILED)" } }],
    });
  });

  it("that finds no saga ends one at once, having sent nothing, and the start that comes later finds it over", () => {
    const before = cancel(null);
    expect(before.state).toMatchObject({ id: SAGA_ID, status: "FAILED", failureReason: "cancelled by customer", data: { n: 1 } });
    expect(before.messages.map((m) => m.type)).toEqual(["SagaFailed"]);
    expect(before.log.map((e) => e.kind)).toEqual(["cancel_accepted", "saga_failed"]);
    const lateStart = run(before.state, { type: "Start", sagaId: SAGA_ID, data: { n: 1 }, now: at(900) });
    expect(lateStart).toMatchObject({ changed: false, messages: [] });
  });
});

describe("replyWaitMs", () => {
  it("stretches a wait by at most the jitter, the same way every time for the same saga and attempt", () => {
    const budget = { ms: 10_000, maxAttempts: 5, backoffMs: 0, jitter: 0.2 };
    const waits = Array.from({ length: 200 }, (_, i) => replyWaitMs(budget, 2, `saga-${i}`));
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(10_000);
    expect(Math.max(...waits)).toBeLessThanOrEqual(12_000);
    expect(new Set(waits).size).toBeGreaterThan(100);
    expect(replyWaitMs(budget, 2, "saga-7")).toBe(waits[7]);
  });
});

describe("deadlines held back while queues are unread", () => {
  const trx = {} as Knex.Transaction;

  /** `readThrough`: topic → ms after T0 through which its consumers have read; topics left out are read through now. */
  function engineWith(readThrough: Record<string, number>, maxPostponeMs = 60_000, plumbingPausedMs?: number, probeIdleEveryMs = 15_000) {
    const store = new MemorySagaStore();
    const asked: string[][] = [];
    const probe: DeliveryProbe = {
      async readThrough(topics) {
        asked.push([...topics]);
        return new Map(Object.entries(readThrough).map(([topic, ms]) => [topic, at(ms)]));
      },
      ...(plumbingPausedMs === undefined ? {} : { plumbingPausedMs: () => plumbingPausedMs }),
    };
    const engine = new SagaEngine<Data>({
      store,
      definitions: [saga],
      outbox: { rows: (messages) => messages, insert: async () => undefined },
      clock: () => T0,
      postponement: { probe, maxPostponeMs, probeIdleEveryMs },
    });
    return { engine, store, asked };
  }

  it("asks the probe nothing while no deadline is due, except on its idle cadence", async () => {
    const idle = engineWith({}, 60_000, undefined, 10_000);
    await idle.engine.start(trx, SAGA_ID, { n: 1 }); // the first Hold is due at 1 s
    // The first sweep samples the queues; the ones after it, with nothing due, look only at the store.
    expect(await idle.engine.sweepOverdue(at(100))).toEqual({ swept: [], failed: [], postponedFor: [] });
    expect(await idle.engine.sweepOverdue(at(200))).toEqual({ swept: [], failed: [], postponedFor: null });
    expect(await idle.engine.sweepOverdue(at(900))).toEqual({ swept: [], failed: [], postponedFor: null });
    expect(idle.asked).toHaveLength(1);
    // Due: every sweep asks.
    expect((await idle.engine.sweepOverdue(at(1_000))).swept).toEqual([SAGA_ID]);
    expect(idle.asked).toHaveLength(2);
    // Nothing due again (the re-send waits): quiet until the idle cadence comes round.
    expect((await idle.engine.sweepOverdue(at(1_100))).postponedFor).toBeNull();
    expect(idle.asked).toHaveLength(2);
    expect((await idle.engine.sweepOverdue(at(11_000))).postponedFor).toEqual([]);
    expect(idle.asked).toHaveLength(3);
  });

  it("waits until the participant has read its queue through the deadline, then applies it", async () => {
    // The first Hold is due at 1 s.
    const busy = engineWith({ "stock.commands": 999 });
    await busy.engine.start(trx, SAGA_ID, { n: 1 });
    const report = await busy.engine.sweepOverdue(at(5_000));
    expect(report).toEqual({ swept: [], failed: [], postponedFor: ["stock.commands"] });
    expect(busy.asked[0]?.sort()).toEqual(["money.commands", "saga.replies", "shipping.commands", "stock.commands"]);
    expect(busy.store.stateOf(SAGA_ID).attempt).toBe(1);

    const readPast = engineWith({ "stock.commands": 1_000 });
    await readPast.engine.start(trx, SAGA_ID, { n: 1 });
    expect((await readPast.engine.sweepOverdue(at(5_000))).swept).toEqual([SAGA_ID]);
    expect(readPast.store.stateOf(SAGA_ID).attempt).toBe(2);
  });

  it("waits on every step while our own replies are unread, but only on the busy participant's steps otherwise", async () => {
    const repliesBusy = engineWith({ "saga.replies": 500 });
    await repliesBusy.engine.start(trx, SAGA_ID, { n: 1 });
    expect((await repliesBusy.engine.sweepOverdue(at(5_000))).swept).toEqual([]);

    const otherBusy = engineWith({ "money.commands": 0 });
    await otherBusy.engine.start(trx, SAGA_ID, { n: 1 });
    expect((await otherBusy.engine.sweepOverdue(at(5_000))).swept).toEqual([SAGA_ID]);
  });

  it("applies a deadline older than the bound whatever the queues say", async () => {
    const { engine, store } = engineWith({ "stock.commands": 0 }, 10_000);
    await engine.start(trx, SAGA_ID, { n: 1 });
    expect((await engine.sweepOverdue(at(10_999))).swept).toEqual([]);
    expect((await engine.sweepOverdue(at(11_000))).swept).toEqual([SAGA_ID]);
    expect(store.stateOf(SAGA_ID).attempt).toBe(2);
  });

  it("forces no deadline while the plumbing cannot carry messages, however old", async () => {
    const { engine, store } = engineWith({ "stock.commands": 0 }, 10_000, Infinity);
    await engine.start(trx, SAGA_ID, { n: 1 });
    expect((await engine.sweepOverdue(at(3_600_000))).swept).toEqual([]);
    expect(store.stateOf(SAGA_ID).attempt).toBe(1);
  });

  it("adds the time the plumbing was down to the bound, so an outage uses up no budget", async () => {
    const { engine, store } = engineWith({ "stock.commands": 0 }, 10_000, 180_000);
    await engine.start(trx, SAGA_ID, { n: 1 });
    expect((await engine.sweepOverdue(at(190_999))).swept).toEqual([]);
    expect((await engine.sweepOverdue(at(191_000))).swept).toEqual([SAGA_ID]);
    expect(store.stateOf(SAGA_ID).attempt).toBe(2);
  });
});
