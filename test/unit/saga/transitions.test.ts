import { declareMessage } from "../../../lib/messages/message-declaration";
import { defineSaga } from "../../../lib/saga/definition";
import type { SagaCommand, SagaResult } from "../../../lib/saga/messages";
import type { SagaState } from "../../../lib/saga/state";
import { transition } from "../../../lib/saga/transitions";
import { TEST_RESULTS, anyMessage } from "./test-messages";
import { SAGA_ID, T0, abcdSaga, acknowledgeCompensations, at, deadline, onlyCommand, replyTo, run, runUntilStep, start, type AbcdData } from "./abcd-saga";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("happy path", () => {
  it("sends each step's command in turn, folds the replies into the data and publishes COMPLETED", () => {
    const started = start();
    expect(started.state).toMatchObject({ id: SAGA_ID, sagaType: "abcd", definitionVersion: 1, status: "RUNNING", currentStep: 0, attempt: 1 });
    expect(started.state.deadlineAt).toEqual(at(1_000));
    expect(started.messages[0]).toEqual({
      id: expect.stringMatching(UUID),
      topic: "a.commands",
      key: SAGA_ID,
      type: "DoA",
      payload: {
        type: "DoA",
        correlation: { sagaType: "abcd", sagaId: SAGA_ID, step: 0, direction: "forward", attempt: 1 },
        replyTo: "saga.replies",
        payload: { input: 7 },
      },
    });

    let result = started;
    const sent: string[] = [];
    for (const [i, name] of ["A", "B", "C", "D"].entries()) {
      const command = onlyCommand(result);
      sent.push(`${command.type}@${result.messages[0]?.topic}#${command.correlation.step}`);
      result = run(result.state, replyTo(command, `${name}Done`, { result: `r${i}` }, at(100 * (i + 1))));
    }

    expect(sent).toEqual(["DoA@a.commands#0", "DoB@b.commands#1", "DoC@c.commands#2", "DoD@d.commands#3"]);
    expect(result.state).toMatchObject({ status: "COMPLETED", deadlineAt: null, failureReason: null });
    expect(result.state.data.results).toEqual(["r0", "r1", "r2", "r3"]);
    expect(result.messages).toEqual([
      {
        id: expect.stringMatching(UUID),
        topic: "test.results",
        key: SAGA_ID,
        type: "SagaCompleted",
        payload: { sagaType: "abcd", sagaId: SAGA_ID, status: "COMPLETED", reason: null, data: { input: 7, results: ["r0", "r1", "r2", "r3"] } },
      },
    ]);
  });

  it("sets each step's deadline from the time of the reply that sent it", () => {
    const atB = run(start().state, replyTo(onlyCommand(start()), "ADone", { result: "x" }, at(300)));
    expect(atB.state.deadlineAt).toEqual(at(300 + 2_000));
  });
});

describe("a failure reply", () => {
  it.each([
    { failing: "A", index: 0, undone: [] },
    { failing: "B", index: 1, undone: ["UndoA"] },
    { failing: "C", index: 2, undone: ["UndoB", "UndoA"] },
    { failing: "D", index: 3, undone: ["UndoB", "UndoA"] },
  ])("at step $failing compensates the steps done before it, in reverse", ({ failing, index, undone }) => {
    const waiting = runUntilStep(index);
    const failed = run(waiting.state, replyTo(onlyCommand(waiting), `${failing}Rejected`));

    const { final, undone: sent } = acknowledgeCompensations(failed);

    expect(sent).toEqual(undone);
    const reason = `step "${failing}" failed: ${failing}Rejected`;
    expect(final.state).toMatchObject({ status: "FAILED", failureReason: reason, deadlineAt: null });
    expect(final.messages).toHaveLength(1);
    expect(final.messages[0]).toMatchObject({ topic: "test.results", type: "SagaFailed", payload: { status: "FAILED", reason } });
  });

  it("sends compensations to the step's own topic, correlated as attempt 1 of the compensate direction", () => {
    const waiting = runUntilStep(2);
    const failed = run(waiting.state, replyTo(onlyCommand(waiting), "CRejected"));
    expect(failed.state).toMatchObject({ status: "COMPENSATING", currentStep: 1, attempt: 1 });
    expect(failed.messages[0]?.topic).toBe("b.commands");
    expect(onlyCommand(failed).correlation).toEqual({ sagaType: "abcd", sagaId: SAGA_ID, step: 1, direction: "compensate", attempt: 1 });
  });

  it("logs the steps that have nothing to compensate", () => {
    const waiting = runUntilStep(3);
    const failed = run(waiting.state, replyTo(onlyCommand(waiting), "DRejected"));
    expect(failed.log.filter((e) => e.kind === "compensation_skipped").map((e) => e.step)).toEqual([2]);
  });
});

describe("a deadline under the retry policy", () => {
  it("re-sends the command with attempt + 1, waiting backoffMs longer each time", () => {
    const first = start();
    const second = run(first.state, deadline(at(1_000)));
    const secondCommand = onlyCommand(second);
    expect(secondCommand.type).toBe("DoA");
    expect(secondCommand.correlation).toMatchObject({ step: 0, direction: "forward", attempt: 2 });
    expect(second.state).toMatchObject({ status: "RUNNING", currentStep: 0, attempt: 2 });
    expect(second.state.deadlineAt).toEqual(at(1_000 + 1_000 + 500));
    expect(second.messages[0]?.id).not.toBe(first.messages[0]?.id);

    const third = run(second.state, deadline(at(2_500)));
    expect(onlyCommand(third).correlation.attempt).toBe(3);
    // Exponential: attempt n waits ms + backoffMs × (2^(n-1) − 1).
    expect(third.state.deadlineAt).toEqual(at(2_500 + 1_000 + 3 * 500));
  });

  it("compensates the step itself once maxAttempts are spent, since its outcome is unknown", () => {
    let result = start();
    for (const when of [1_000, 2_500, 5_000]) result = run(result.state, deadline(at(when)));

    expect(result.state).toMatchObject({ status: "COMPENSATING", currentStep: 0, attempt: 1, failureReason: 'step "A" got no reply after 3 attempts' });
    expect(onlyCommand(result).type).toBe("UndoA");
    const { final } = acknowledgeCompensations(result);
    expect(final.state).toMatchObject({ status: "FAILED", failureReason: 'step "A" got no reply after 3 attempts' });
  });

  it("ignores a deadline event that comes before the deadline", () => {
    const started = start();
    const early = run(started.state, deadline(at(999)));
    expect(early.changed).toBe(false);
    expect(early.state).toBe(started.state);
    expect(early.messages).toEqual([]);
    expect(early.log).toEqual([
      expect.objectContaining({ kind: "event_ignored", detail: expect.objectContaining({ reason: expect.stringContaining("has not passed") }) }),
    ]);
  });
});

describe("a deadline under the compensate policy", () => {
  it("compensates at once, the timed-out step included", () => {
    const atB = runUntilStep(1);
    const timedOut = run(atB.state, deadline(at(2_000)));

    expect(timedOut.state).toMatchObject({ status: "COMPENSATING", currentStep: 1, failureReason: 'step "B" got no reply after 1 attempt' });
    const { final, undone } = acknowledgeCompensations(timedOut);
    expect(undone).toEqual(["UndoB", "UndoA"]);
    expect(final.state.status).toBe("FAILED");
  });

  it("skips steps without a compensation, the timed-out one included", () => {
    const atD = runUntilStep(3);
    const timedOut = run(atD.state, deadline(at(1_000)));
    expect(timedOut.log.filter((e) => e.kind === "compensation_skipped").map((e) => e.step)).toEqual([3, 2]);
    expect(acknowledgeCompensations(timedOut).undone).toEqual(["UndoB", "UndoA"]);
  });
});

describe("a reply to any attempt of the awaited step and direction counts", () => {
  it("an earlier attempt's late answer is accepted after a re-send, and the later one is then a duplicate", () => {
    const first = start();
    const retried = run(first.state, deadline(at(1_000)));
    const late = run(retried.state, replyTo(onlyCommand(first), "ADone", { result: "late" }, at(1_200)));
    expect(late.state).toMatchObject({ status: "RUNNING", currentStep: 1, attempt: 1 });
    expect(late.state.data.results).toEqual(["late"]);
    expect(late.log[0]).toMatchObject({ kind: "reply_accepted", detail: { type: "ADone", direction: "forward", attempt: 1 } });

    const second = run(late.state, replyTo(onlyCommand(retried), "ADone", { result: "on time" }));
    expect(second.changed).toBe(false);
    expect(second.state.data.results).toEqual(["late"]);
  });

  it("a compensation's earlier attempt ends the compensation too", () => {
    const atB = runUntilStep(1);
    const compensating = run(atB.state, replyTo(onlyCommand(atB), "BRejected"));
    const undoA1 = onlyCommand(compensating);
    const resent = run(compensating.state, deadline(compensating.state.deadlineAt!));
    expect(onlyCommand(resent).correlation).toMatchObject({ direction: "compensate", attempt: 2 });
    const undone = run(resent.state, replyTo(undoA1, "AUndone"));
    expect(undone.state.status).toBe("FAILED");
  });
});

describe("replies that do not answer the awaited command are ignored", () => {
  function expectIgnored(before: SagaState<AbcdData>, event: ReturnType<typeof replyTo>, reason: RegExp) {
    const result = run(before, event);
    expect(result.changed).toBe(false);
    expect(result.state).toBe(before);
    expect(result.messages).toEqual([]);
    expect(result.log).toHaveLength(1);
    expect(result.log[0]).toMatchObject({
      kind: "reply_ignored",
      messageId: event.messageId,
      detail: { type: event.reply.type, reason: expect.stringMatching(reason) },
    });
    return result;
  }

  it("a duplicate of an applied reply is not applied twice", () => {
    const started = start();
    const done = replyTo(onlyCommand(started), "ADone", { result: "once" });
    const atB = run(started.state, done);

    expectIgnored(atB.state, done, /answers step 0 \(forward, attempt 1\) but the saga awaits step 1 \(forward, attempt 1 or earlier\)/);
    expect(atB.state.data.results).toEqual(["once"]);
  });

  it("a reply to an attempt not sent yet", () => {
    const first = start();
    const command = onlyCommand(first);
    const fromTheFuture: SagaCommand = { ...command, correlation: { ...command.correlation, attempt: 2 } };
    expectIgnored(first.state, replyTo(fromTheFuture, "ADone"), /attempt 2\) but the saga awaits step 0 \(forward, attempt 1 or earlier\)/);
  });

  it("a reply for another step", () => {
    const atB = runUntilStep(1);
    const command = onlyCommand(atB);
    const forStepC: SagaCommand = { ...command, correlation: { ...command.correlation, step: 2 } };
    expectIgnored(atB.state, replyTo(forStepC, "CDone"), /answers step 2/);
  });

  it("a late forward reply for a step that is already being compensated", () => {
    const atB = runUntilStep(1);
    const compensating = run(atB.state, deadline(at(2_000)));
    expectIgnored(compensating.state, replyTo(onlyCommand(atB), "BDone"), /awaits step 1 \(compensate, attempt 1 or earlier\)/);
  });

  it("any reply after the saga has ended", () => {
    const atD = runUntilStep(3);
    const dDone = replyTo(onlyCommand(atD), "DDone", { result: "r3" });
    const completed = run(atD.state, dDone);
    expect(completed.state.status).toBe("COMPLETED");
    expectIgnored(completed.state, dDone, /already ended \(COMPLETED\)/);
  });

  it("a reply type the step does not expect", () => {
    const started = start();
    expectIgnored(started.state, replyTo(onlyCommand(started), "BDone"), /"BDone" is not a reply step "A" expects/);
  });

  it("a compensation reply of the wrong type", () => {
    const atB = runUntilStep(1);
    const compensating = run(atB.state, deadline(at(2_000)));
    expectIgnored(compensating.state, replyTo(onlyCommand(compensating), "AUndone"), /is not "BUndone"/);
  });

  it("a reply correlated to another saga", () => {
    const started = start();
    const command = onlyCommand(started);
    const other: SagaCommand = { ...command, correlation: { ...command.correlation, sagaId: "00000000-0000-4000-8000-000000000000" } };
    expectIgnored(started.state, replyTo(other, "ADone"), /belongs to abcd saga 00000000-/);
  });
});

/** Drives the saga to step B's compensation and lets both of its tries time out. */
function parkedAtB() {
  const atB = runUntilStep(1);
  const compensating = run(atB.state, deadline(at(2_000)));
  const secondTry = run(compensating.state, deadline(at(3_000)));
  return { lastTry: secondTry, parked: run(secondTry.state, deadline(at(4_000))) };
}

describe("a compensation that keeps timing out", () => {
  it("is re-sent up to its maxAttempts, then the saga parks in NEEDS_ATTENTION", () => {
    const { lastTry, parked } = parkedAtB();
    expect(onlyCommand(lastTry)).toMatchObject({ type: "UndoB", correlation: { step: 1, direction: "compensate", attempt: 2 } });

    expect(parked.state).toMatchObject({ status: "NEEDS_ATTENTION", currentStep: 1, attempt: 2, deadlineAt: null });
    expect(parked.state.failureReason).toBe('step "B" got no reply after 1 attempt');
    expect(parked.messages).toEqual([]);
    expect(parked.log.map((e) => e.kind)).toEqual(["deadline_passed", "saga_parked"]);
    expect(parked.log[1]?.detail).toEqual({ reason: 'compensation of step "B" got no reply after 2 attempts' });
  });

  it("stays parked: deadlines no longer apply", () => {
    const { parked } = parkedAtB();
    const later = run(parked.state, deadline(at(60_000)));
    expect(later.changed).toBe(false);
    expect(later.log[0]?.kind).toBe("event_ignored");
  });

  it("resumes by itself if the last attempt's reply arrives late", () => {
    const { lastTry, parked } = parkedAtB();
    const resumed = run(parked.state, replyTo(onlyCommand(lastTry), "BUndone"));
    expect(resumed.state).toMatchObject({ status: "COMPENSATING", currentStep: 0 });
    expect(onlyCommand(resumed).type).toBe("UndoA");
  });
});

describe("operator actions", () => {
  it("retry resumes a parked saga with the next attempt and carries on compensating", () => {
    const { parked } = parkedAtB();
    const retried = run(parked.state, { type: "OperatorRetry", operator: "operator-1", now: at(10_000) });

    expect(retried.state).toMatchObject({ status: "COMPENSATING", currentStep: 1, attempt: 3 });
    expect(retried.state.deadlineAt).toEqual(at(10_000 + 1_000));
    expect(onlyCommand(retried)).toMatchObject({ type: "UndoB", correlation: { attempt: 3 } });
    expect(retried.log[0]).toMatchObject({ kind: "operator_retry", at: at(10_000), detail: { operator: "operator-1" } });

    const { final, undone } = acknowledgeCompensations(retried);
    expect(undone).toEqual(["UndoB", "UndoA"]);
    expect(final.state).toMatchObject({ status: "FAILED", failureReason: 'step "B" got no reply after 1 attempt' });
  });

  it("a retried compensation that times out again parks the saga again", () => {
    const { parked } = parkedAtB();
    const retried = run(parked.state, { type: "OperatorRetry", operator: "operator-1", now: at(10_000) });
    const again = run(retried.state, deadline(at(11_000)));
    expect(again.state).toMatchObject({ status: "NEEDS_ATTENTION", attempt: 3 });
  });

  it("abort fails a parked saga with the operator's reason and publishes the result", () => {
    const { parked } = parkedAtB();
    const aborted = run(parked.state, { type: "OperatorAbort", reason: "undone by hand", operator: "operator-1", now: at(10_000) });

    expect(aborted.state).toMatchObject({ status: "FAILED", failureReason: "aborted by operator: undone by hand", deadlineAt: null });
    expect(aborted.messages).toEqual([
      expect.objectContaining({
        topic: "test.results",
        type: "SagaFailed",
        payload: expect.objectContaining({ reason: "aborted by operator: undone by hand" }),
      }),
    ]);
    expect(aborted.log.map((e) => e.kind)).toEqual(["operator_abort", "saga_failed"]);
    expect(aborted.log[0]?.detail).toEqual({ reason: "undone by hand", operator: "operator-1", previousReason: 'step "B" got no reply after 1 attempt' });
  });

  it.each([
    ["OperatorRetry", { type: "OperatorRetry" as const, operator: "operator-1", now: T0 }],
    ["OperatorAbort", { type: "OperatorAbort" as const, reason: "why not", operator: "operator-1", now: T0 }],
  ])("%s is ignored unless the saga is parked", (_name, event) => {
    const running = start();
    const result = run(running.state, event);
    expect(result.changed).toBe(false);
    expect(result.state).toBe(running.state);
    expect(result.log[0]?.detail.reason).toMatch(/only a saga in NEEDS_ATTENTION .* this one is RUNNING/);
  });
});

describe("the log", () => {
  it("tells the whole story, in order, with the ids of the messages sent and received", () => {
    const events: string[] = [];
    const kinds: string[] = [];
    let result = runUntilStep(0);
    const collect = () => {
      kinds.push(...result.log.map((e) => e.kind));
      for (const entry of result.log) {
        expect(entry.sagaId).toBe(SAGA_ID);
        if (entry.kind === "command_sent") expect(result.messages.map((m) => m.id)).toContain(entry.messageId);
      }
    };
    collect();
    for (const [type, when] of [
      ["ADone", 100],
      ["BDone", 200],
      ["CRejected", 300],
      ["BUndone", 400],
      ["AUndone", 500],
    ] as const) {
      const event = replyTo(onlyCommand(result), type, { result: type }, at(when));
      events.push(event.messageId);
      result = run(result.state, event);
      expect(result.log.every((e) => e.at.getTime() === at(when).getTime())).toBe(true);
      expect(result.log.find((e) => e.kind === "reply_accepted")?.messageId).toBe(event.messageId);
      collect();
    }

    expect(kinds).toEqual([
      "saga_started",
      "command_sent",
      "reply_accepted",
      "command_sent",
      "reply_accepted",
      "command_sent",
      "reply_accepted",
      "step_failed",
      "command_sent",
      "reply_accepted",
      "step_compensated",
      "command_sent",
      "reply_accepted",
      "step_compensated",
      "saga_failed",
    ]);
    expect(new Set(events).size).toBe(5);
  });

  it("records the command, its topic, attempt and deadline when a command is sent", () => {
    const started = start();
    expect(started.log[1]).toEqual({
      sagaId: SAGA_ID,
      at: T0,
      kind: "command_sent",
      step: 0,
      messageId: started.messages[0]?.id,
      detail: { type: "DoA", topic: "a.commands", direction: "forward", attempt: 1, deadlineAt: at(1_000).toISOString() },
    });
  });
});

describe("purity and determinism", () => {
  it("derives the same message ids from the same transition, and distinct ids for distinct messages", () => {
    const ids = [start(), start()].map((r) => r.messages[0]?.id);
    expect(ids[0]).toBe(ids[1]);
    const retried = run(start().state, deadline(at(1_000)));
    const compensated = run(runUntilStep(1).state, deadline(at(2_000)));
    const all = [ids[0], retried.messages[0]?.id, compensated.messages[0]?.id];
    expect(new Set(all).size).toBe(3);
  });

  it("never mutates the state it is given, even when a reply handler mutates its data", () => {
    const careless = defineSaga<AbcdData>("careless", 1, { replyTopic: "r", results: TEST_RESULTS })
      .step("only")
      .invoke(anyMessage("Do", "t"), () => ({}))
      .onReply(declareMessage("Done", "r", { result: "string" }), (data, reply) => {
        data.results.push(reply.result);
        return data;
      })
      .timeout({ ms: 1, policy: "compensate" })
      .build();
    const started = transition(careless, null, { type: "Start", sagaId: SAGA_ID, data: { input: 1, results: [] }, now: T0 });
    const snapshot = structuredClone(started.state);

    const done = transition(careless, started.state, replyTo(onlyCommand(started), "Done", { result: "x" }));

    expect(started.state).toEqual(snapshot);
    expect(done.state.data.results).toEqual(["x"]);
  });

  it("ignores a second Start for the same saga", () => {
    const started = start();
    const again = run(started.state, { type: "Start", sagaId: SAGA_ID, data: { input: 99, results: [] }, now: at(5) });
    expect(again.changed).toBe(false);
    expect(again.state.data.input).toBe(7);
    expect(again.log[0]).toMatchObject({ kind: "event_ignored", detail: { reason: "Start: the saga has already started" } });
  });

  it("refuses a state made by another definition version, or an event without a saga", () => {
    const started = start();
    expect(() => run({ ...started.state, definitionVersion: 2 }, deadline(at(1_000)))).toThrow(/abcd v2, not abcd v1/);
    expect(() => run(null, deadline(T0))).toThrow(/needs an existing saga instance/);
  });

  it("includes the final data in the result message", () => {
    const { final } = acknowledgeCompensations(run(runUntilStep(1).state, deadline(at(2_000))));
    const result = final.messages[0]?.payload as SagaResult<AbcdData>;
    expect(result).toEqual({
      sagaType: "abcd",
      sagaId: SAGA_ID,
      status: "FAILED",
      reason: 'step "B" got no reply after 1 attempt',
      data: { input: 7, results: ["r0"] },
    });
    expect(abcdSaga.steps).toHaveLength(4);
  });
});
