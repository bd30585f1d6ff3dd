/**
 * A domain-free four-step saga for the tests, and helpers to drive it.
 *   A: retry policy (3 attempts), compensated by UndoA (3 tries)
 *   B: compensate policy, compensated by UndoB (2 tries)
 *   C: retry policy (2 attempts), no compensation
 *   D: compensate policy, no compensation
 */
import { declareMessage } from "../../../lib/messages/message-declaration";
import { defineSaga, type SagaDefinition } from "../../../lib/saga/definition";
import { replyFor, type SagaCommand } from "../../../lib/saga/messages";
import type { OutgoingMessage, SagaState } from "../../../lib/saga/state";
import { transition, type SagaEvent, type TransitionResult } from "../../../lib/saga/transitions";
import { TEST_RESULTS, anyMessage } from "./test-messages";

export interface AbcdData {
  input: number;
  results: string[];
}

export const SAGA_ID = "7d1c2f4e-5a6b-4c8d-9e0f-112233445566";
export const T0 = new Date("2030-01-01T00:00:00.000Z");

export function at(ms: number): Date {
  return new Date(T0.getTime() + ms);
}

/** Step `name`'s command, on its own topic; a later version of the saga sends another. */
const command = (name: string, version = 1) =>
  declareMessage(version === 1 ? `Do${name}` : `Do${name}v${version}`, `${name.toLowerCase()}.commands`, { input: "number" });
const done = (name: string) => declareMessage(`${name}Done`, "saga.replies", { result: "string" });
const inputOf = (data: AbcdData) => ({ input: data.input });
const collect = (data: AbcdData, reply: { result: string }): AbcdData => ({ ...data, results: [...data.results, reply.result] });

export function buildAbcdSaga(version = 1): SagaDefinition<AbcdData> {
  return defineSaga<AbcdData>("abcd", version, { replyTopic: "saga.replies", results: TEST_RESULTS })
    .step("A")
    .invoke(command("A", version), inputOf)
    .onReply(done("A"), collect)
    .onFailure(anyMessage("ARejected"))
    .withCompensation({
      command: anyMessage("UndoA", "a.commands"),
      payload: inputOf,
      reply: anyMessage("AUndone"),
      timeout: { ms: 1_000, maxAttempts: 3, backoffMs: 500 },
    })
    .timeout({ ms: 1_000, policy: "retry", maxAttempts: 3, backoffMs: 500 })
    .step("B")
    .invoke(command("B"), inputOf)
    .onReply(done("B"), collect)
    .onFailure(anyMessage("BRejected"))
    .withCompensation({
      command: anyMessage("UndoB", "b.commands"),
      payload: (data) => ({ results: data.results }),
      reply: anyMessage("BUndone"),
      timeout: { ms: 1_000, maxAttempts: 2, backoffMs: 0 },
    })
    .timeout({ ms: 2_000, policy: "compensate" })
    .step("C")
    .invoke(command("C"), inputOf)
    .onReply(done("C"), collect)
    .onFailure(anyMessage("CRejected"))
    .timeout({ ms: 1_000, policy: "retry", maxAttempts: 2, backoffMs: 1_000 })
    .step("D")
    .invoke(command("D"), inputOf)
    .onReply(done("D"), collect)
    .onFailure(anyMessage("DRejected"))
    .timeout({ ms: 1_000, policy: "compensate" })
    .build();
}

export const abcdSaga = buildAbcdSaga();

export function run(state: SagaState<AbcdData> | null, event: SagaEvent<AbcdData>): TransitionResult<AbcdData> {
  return transition(abcdSaga, state, event);
}

export function start(now = T0): TransitionResult<AbcdData> {
  return run(null, { type: "Start", sagaId: SAGA_ID, data: { input: 7, results: [] }, now });
}

/** The one command a transition sent; fails the test if it sent anything else. */
export function onlyCommand(result: TransitionResult<AbcdData>): SagaCommand {
  expect(result.messages).toHaveLength(1);
  return (result.messages[0] as OutgoingMessage).payload as SagaCommand;
}

let replyCount = 0;

/** A participant's reply to `command`, as the host would hand it over. */
export function replyTo(command: SagaCommand, type: string, payload: unknown = {}, now = T0): SagaEvent<AbcdData> & { type: "Reply" } {
  replyCount += 1;
  const messageId = `00000000-0000-4000-8000-${String(replyCount).padStart(12, "0")}`;
  return { type: "Reply", messageId, reply: replyFor(command, type, payload), now };
}

export function deadline(now: Date): SagaEvent<AbcdData> {
  return { type: "StepDeadlinePassed", now };
}

/** Runs the happy path until the saga awaits the forward reply of step `index`. */
export function runUntilStep(index: number): TransitionResult<AbcdData> {
  let result = start();
  for (let i = 0; i < index; i++) {
    const command = onlyCommand(result);
    result = run(result.state, replyTo(command, `${"ABCD"[i]}Done`, { result: `r${i}` }));
  }
  return result;
}

/** Answers every compensation command with its success reply until the saga stops compensating. */
export function acknowledgeCompensations(result: TransitionResult<AbcdData>): { final: TransitionResult<AbcdData>; undone: string[] } {
  const undone: string[] = [];
  while (result.state.status === "COMPENSATING") {
    const command = onlyCommand(result);
    undone.push(command.type);
    result = run(result.state, replyTo(command, command.type.replace("Undo", "") + "Undone"));
  }
  return { final: result, undone };
}
