/**
 * Parallel steps: a group of compensatable steps sent at once. Every
 * transition of a group, through the pure state machine, on a domain-free
 * saga: prep → (a ∥ b) → pay (the pivot) → ship (retriable).
 */
import { declareMessage } from "../../../lib/messages/message-declaration";
import { defineSaga, type SagaDefinition } from "../../../lib/saga/definition";
import { replyFor, type SagaCommand } from "../../../lib/saga/messages";
import type { SagaState } from "../../../lib/saga/state";
import { transition, type TransitionResult } from "../../../lib/saga/transitions";
import { TEST_RESULTS, anyMessage } from "./test-messages";

interface Data {
  n: number;
  got: string[];
}
type Result = TransitionResult<Data>;

const SAGA_ID = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f";
const T0 = new Date("2030-01-01T00:00:00.000Z");
const forward = { policy: "retry", ms: 1_000, maxAttempts: 2, backoffMs: 0 } as const;
const undo = { ms: 1_000, maxAttempts: 3, backoffMs: 0 };

function step(builder: ReturnType<typeof defineSaga<Data>>, name: string, parallel = false) {
  return builder
    .step(name)
    .parallelWithPrevious(parallel)
    .invoke(anyMessage(`Do-${name}`, `${name}.commands`), (d) => ({ n: d.n }))
    .onReply(declareMessage(`Done-${name}`, "replies", { mark: "string" }), (d, reply) => ({ ...d, got: [...d.got, reply.mark] }))
    .onFailure(anyMessage(`Refused-${name}`))
    .withCompensation({
      command: anyMessage(`Undo-${name}`, `${name}.commands`),
      payload: (d) => ({ n: d.n }),
      reply: anyMessage(`Undone-${name}`),
      timeout: undo,
    })
    .timeout(forward);
}

function buildSaga(): SagaDefinition<Data> {
  const saga = defineSaga<Data>("parallel", 1, { replyTopic: "replies", results: TEST_RESULTS });
  step(saga, "prep");
  step(saga, "a");
  step(saga, "b", true);
  saga
    .step("pay")
    .pivot()
    .invoke(anyMessage("Do-pay", "pay.commands"), () => ({}))
    .onReply(anyMessage("Done-pay"))
    .onFailure(anyMessage("Refused-pay"))
    .timeout(forward);
  saga
    .step("ship")
    .retriable()
    .invoke(anyMessage("Do-ship", "ship.commands"), () => ({}))
    .onReply(anyMessage("Done-ship"))
    .timeout({ ...forward, maxAttempts: 5 });
  return saga.build();
}

const saga = buildSaga();
let replies = 0;

const commands = (result: Result) => result.messages.map((m) => m.payload as SagaCommand);
const types = (result: Result) => result.messages.map((m) => m.type);
const commandOf = (result: Result, type: string) => commands(result).find((c) => c.type === type)!;

function reply(state: SagaState<Data>, command: SagaCommand, type: string, payload: object = {}): Result {
  replies += 1;
  const messageId = `00000000-0000-4000-8000-${String(replies).padStart(12, "0")}`;
  return transition(saga, state, { type: "Reply", messageId, reply: replyFor(command, type, payload), now: T0 });
}

/** The saga with prep done: a and b sent together. */
function atGroup(): Result {
  const started = transition(saga, null, { type: "Start", sagaId: SAGA_ID, data: { n: 1, got: [] }, now: T0 });
  return reply(started.state, commands(started)[0]!, "Done-prep", { mark: "prep" });
}

describe("defining a parallel group", () => {
  it("numbers each step's group by its first step", () => {
    expect(saga.steps.map((s) => `${s.name}:${s.group}`)).toEqual(["prep:0", "a:1", "b:1", "pay:3", "ship:4"]);
  });

  it("refuses a group holding the pivot or a retriable step, and a first step with nothing before it", () => {
    const pivotInGroup = defineSaga<Data>("bad", 1, { replyTopic: "r", results: TEST_RESULTS });
    step(pivotInGroup, "a");
    pivotInGroup
      .step("pay")
      .pivot()
      .parallelWithPrevious()
      .invoke(anyMessage("P", "p"), () => ({}))
      .onReply(anyMessage("Paid"))
      .timeout(forward);
    expect(() => pivotInGroup.build()).toThrow(/"pay" is pivot, so it cannot run in parallel/);

    const retriableInGroup = defineSaga<Data>("bad", 1, { replyTopic: "r", results: TEST_RESULTS });
    retriableInGroup
      .step("pay")
      .pivot()
      .invoke(anyMessage("P", "p"), () => ({}))
      .onReply(anyMessage("Paid"))
      .timeout(forward);
    retriableInGroup
      .step("ship")
      .retriable()
      .invoke(anyMessage("S", "s"), () => ({}))
      .onReply(anyMessage("Shipped"))
      .timeout(forward);
    retriableInGroup
      .step("mail")
      .retriable()
      .parallelWithPrevious()
      .invoke(anyMessage("M", "m"), () => ({}))
      .onReply(anyMessage("Mailed"))
      .timeout(forward);
    expect(() => retriableInGroup.build()).toThrow(/"ship" is retriable, so it cannot run in parallel.*"mail" is retriable/);

    const firstParallel = defineSaga<Data>("bad", 1, { replyTopic: "r", results: TEST_RESULTS });
    step(firstParallel, "a", true);
    expect(() => firstParallel.build()).toThrow(/"a" is the first, so it has no step to run in parallel with/);
  });
});

describe("a parallel group", () => {
  it("sends its steps at once and waits for the reply due last", () => {
    const group = atGroup();
    expect(types(group)).toEqual(["Do-a", "Do-b"]);
    expect(commands(group).map((c) => c.correlation.step)).toEqual([1, 2]);
    expect(group.state).toMatchObject({ status: "RUNNING", currentStep: 1, attempt: 1, groupAnswers: [], deadlineAt: new Date(T0.getTime() + 1_000) });
  });

  it.each([
    ["a first", ["a", "b"]],
    ["b first", ["b", "a"]],
  ])("moves on once both have succeeded (%s), with both replies folded into the data", (_, order) => {
    const group = atGroup();
    const first = reply(group.state, commandOf(group, `Do-${order[0]}`), `Done-${order[0]}`, { mark: order[0]! });
    expect(first.messages).toEqual([]);
    expect(first.state).toMatchObject({ status: "RUNNING", currentStep: 1, groupAnswers: [{ step: order[0] === "a" ? 1 : 2, outcome: "succeeded" }] });

    const both = reply(first.state, commandOf(group, `Do-${order[1]}`), `Done-${order[1]}`, { mark: order[1]! });
    expect(types(both)).toEqual(["Do-pay"]);
    expect(both.state).toMatchObject({ status: "RUNNING", currentStep: 3, attempt: 1, groupAnswers: [] });
    expect(both.state.data.got).toEqual(["prep", ...order]);
  });

  it("one refuses while the other has succeeded: the other is undone, then the steps before, in reverse; the refusing one is passed over", () => {
    const group = atGroup();
    const aDone = reply(group.state, commandOf(group, "Do-a"), "Done-a", { mark: "a" });
    const bRefused = reply(aDone.state, commandOf(group, "Do-b"), "Refused-b", { reason: "no" });
    expect(bRefused.state).toMatchObject({ status: "COMPENSATING", currentStep: 1, failureReason: 'step "b" failed: Refused-b (no)' });
    expect(types(bRefused)).toEqual(["Undo-a"]);
    expect(bRefused.log.map((e) => `${e.kind}:${e.step}`)).toEqual(["reply_accepted:2", "step_failed:2", "compensation_skipped:2", "command_sent:1"]);

    const aUndone = reply(bRefused.state, commandOf(bRefused, "Undo-a"), "Undone-a");
    expect(types(aUndone)).toEqual(["Undo-prep"]);
    const prepUndone = reply(aUndone.state, commandOf(aUndone, "Undo-prep"), "Undone-prep");
    expect(prepUndone.state.status).toBe("FAILED");
  });

  it("one refuses while the other has not answered: that one is undone too (it may have acted), then the steps before", () => {
    const group = atGroup();
    const aRefused = reply(group.state, commandOf(group, "Do-a"), "Refused-a");
    expect(types(aRefused)).toEqual(["Undo-b"]);
    const bUndone = reply(aRefused.state, commandOf(aRefused, "Undo-b"), "Undone-b");
    // a refused: passed over on the way down.
    expect(bUndone.log.map((e) => `${e.kind}:${e.step}`)).toEqual(["reply_accepted:2", "step_compensated:2", "compensation_skipped:1", "command_sent:0"]);
    expect(types(bUndone)).toEqual(["Undo-prep"]);
  });

  it("one refuses after the other already refused: the second refusal is ignored, and both are passed over", () => {
    const group = atGroup();
    const aRefused = reply(group.state, commandOf(group, "Do-a"), "Refused-a");
    const bRefusedLate = reply(aRefused.state, commandOf(group, "Do-b"), "Refused-b");
    expect(bRefusedLate.changed).toBe(false);
    expect(bRefusedLate.log[0]).toMatchObject({ kind: "reply_ignored" });
    // b's undo is still asked (its refusal came too late to count); it answers "undone", having nothing to undo.
    const bUndone = reply(aRefused.state, commandOf(aRefused, "Undo-b"), "Undone-b");
    expect(types(bUndone)).toEqual(["Undo-prep"]);
  });

  it("ignores a reply that comes after the group was compensated", () => {
    const group = atGroup();
    const aRefused = reply(group.state, commandOf(group, "Do-a"), "Refused-a");
    const bUndone = reply(aRefused.state, commandOf(aRefused, "Undo-b"), "Undone-b");
    const late = reply(bUndone.state, commandOf(group, "Do-b"), "Done-b", { mark: "late" });
    expect(late.changed).toBe(false);
    expect(late.state).toBe(bUndone.state);
    expect(late.log[0]?.detail.reason).toMatch(/awaits step 0 \(compensate/);
  });

  it("ignores a second success of a step that has answered, from an earlier attempt or not", () => {
    const group = atGroup();
    const aDone = reply(group.state, commandOf(group, "Do-a"), "Done-a", { mark: "a" });
    const again = reply(aDone.state, commandOf(group, "Do-a"), "Done-a", { mark: "again" });
    expect(again.changed).toBe(false);
    expect(again.log[0]?.detail.reason).toBe("step 1 has already answered (succeeded)");
  });

  it("past its deadline, re-sends only the steps that have not answered, and takes a reply to any attempt", () => {
    const group = atGroup();
    const aDone = reply(group.state, commandOf(group, "Do-a"), "Done-a", { mark: "a" });
    const resent = transition(saga, aDone.state, { type: "StepDeadlinePassed", now: aDone.state.deadlineAt! });
    expect(types(resent)).toEqual(["Do-b"]);
    expect(commands(resent)[0]?.correlation).toMatchObject({ step: 2, attempt: 2 });
    expect(resent.state).toMatchObject({ status: "RUNNING", currentStep: 1, attempt: 2, groupAnswers: [{ step: 1, outcome: "succeeded" }] });

    // The first attempt's answer arrives after the re-send: it counts.
    const bDone = reply(resent.state, commandOf(group, "Do-b"), "Done-b", { mark: "b" });
    expect(types(bDone)).toEqual(["Do-pay"]);
  });

  it("past its last deadline, undoes every step of the group (a silent one may have acted) and the steps before", () => {
    const group = atGroup();
    const aDone = reply(group.state, commandOf(group, "Do-a"), "Done-a", { mark: "a" });
    const resent = transition(saga, aDone.state, { type: "StepDeadlinePassed", now: aDone.state.deadlineAt! });
    const gaveUp = transition(saga, resent.state, { type: "StepDeadlinePassed", now: resent.state.deadlineAt! });
    expect(gaveUp.state).toMatchObject({ status: "COMPENSATING", currentStep: 2, failureReason: 'step "b" got no reply after 2 attempts' });
    expect(types(gaveUp)).toEqual(["Undo-b"]);
    const bUndone = reply(gaveUp.state, commandOf(gaveUp, "Undo-b"), "Undone-b");
    expect(types(bUndone)).toEqual(["Undo-a"]);
  });

  it("a failure after the group (the pivot refusing) undoes the group's steps one by one, in reverse", () => {
    const group = atGroup();
    const aDone = reply(group.state, commandOf(group, "Do-a"), "Done-a", { mark: "a" });
    const bDone = reply(aDone.state, commandOf(group, "Do-b"), "Done-b", { mark: "b" });
    const refused = reply(bDone.state, commandOf(bDone, "Do-pay"), "Refused-pay");
    expect(types(refused)).toEqual(["Undo-b"]);
    const bUndone = reply(refused.state, commandOf(refused, "Undo-b"), "Undone-b");
    expect(types(bUndone)).toEqual(["Undo-a"]);
    const aUndone = reply(bUndone.state, commandOf(bUndone, "Undo-a"), "Undone-a");
    expect(types(aUndone)).toEqual(["Undo-prep"]);
  });
});
