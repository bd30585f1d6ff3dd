import {
  groupMembers,
  isPastPivot,
  type CompensationDefinition,
  type RetryBudget,
  type SagaDefinition,
  type StepDefinition,
  type StepTimeout,
} from "./definition";
import { commandMessageId, resultMessageId } from "./message-id";
import { type SagaCommand, type SagaCorrelation, type SagaDirection, type SagaReply, type SagaResult } from "./messages";
import { isFinal, type GroupAnswer, type LogEntry, type LogKind, type OutgoingMessage, type SagaState } from "./state";

/** Everything that can happen to a saga. `now` is passed in so the machine stays deterministic. */
export type SagaEvent<Data> =
  | { type: "Start"; sagaId: string; data: Data; now: Date }
  | { type: "Reply"; messageId: string; reply: SagaReply; now: Date }
  | { type: "StepDeadlinePassed"; now: Date }
  /** `operator` is who asked (an account id, or the console's user): the log keeps it. */
  | { type: "OperatorRetry"; operator: string; now: Date }
  | { type: "OperatorAbort"; reason: string; operator: string; now: Date }
  /**
   * Whoever the saga serves asks to stop it (a customer cancelling): `reason`
   * becomes the failure reason, `requestedBy` goes in the log. `messageId` is
   * the request's, like a reply's. `data` is what Start would carry: a cancel
   * that finds no saga (its start was lost, and may be re-sent) ends one there
   * and then, so the start that comes later finds it ended.
   */
  | { type: "CancelRequested"; sagaId: string; messageId: string; requestedBy: string; reason: string; data: Data; now: Date };

export interface TransitionResult<Data> {
  state: SagaState<Data>;
  /** False when the event was ignored: `state` is the one passed in and only the log says why. */
  changed: boolean;
  /** For the host's outbox, in order. */
  messages: OutgoingMessage[];
  log: LogEntry[];
}

/**
 * The saga state machine: no I/O, no clock, no randomness. The input state is
 * never mutated. `state` is null only before Start.
 */
export function transition<Data>(definition: SagaDefinition<Data>, state: SagaState<Data> | null, event: SagaEvent<Data>): TransitionResult<Data> {
  if (event.type === "Start") {
    return state ? ignored(state, event.now, "event_ignored", "Start: the saga has already started") : start(definition, event);
  }
  if (event.type === "CancelRequested" && !state) return cancelledBeforeStart(definition, event);
  if (!state) throw new Error(`${event.type} needs an existing saga instance`);
  if (state.sagaType !== definition.name || state.definitionVersion !== definition.version) {
    throw new Error(`Saga ${state.id} is ${state.sagaType} v${state.definitionVersion}, not ${definition.name} v${definition.version}`);
  }
  switch (event.type) {
    case "Reply":
      return onReply(definition, state, event.messageId, event.reply, event.now);
    case "StepDeadlinePassed":
      return onDeadline(definition, state, event.now);
    case "OperatorRetry":
      return onOperatorRetry(definition, state, event.operator, event.now);
    case "OperatorAbort":
      return onOperatorAbort(definition, state, event.reason, event.operator, event.now);
    case "CancelRequested":
      return onCancelRequested(definition, state, event);
  }
}

function start<Data>(definition: SagaDefinition<Data>, event: { sagaId: string; data: Data; now: Date }): TransitionResult<Data> {
  const draft = new TransitionDraft(definition, initialState(definition, event.sagaId, event.data), event.now);
  draft.record("saga_started", 0, { definitionVersion: definition.version, data: event.data });
  draft.sendGroup(groupMembers(definition, 0), 1);
  return draft.result();
}

function onReply<Data>(definition: SagaDefinition<Data>, state: SagaState<Data>, messageId: string, reply: SagaReply, now: Date): TransitionResult<Data> {
  const ignore = (reason: string) => ignored(state, now, "reply_ignored", reason, messageId, { type: reply.type, correlation: reply.correlation });
  const mismatch = whyNotAwaited(definition, state, reply.correlation);
  if (mismatch) return ignore(mismatch);

  // The step replying: the current one, or one of the parallel group in flight.
  const replying = reply.correlation.step;
  const step = stepAt(definition, replying);
  const draft = new TransitionDraft(definition, state, now);
  if (reply.correlation.direction === "forward") {
    const applyReply = step.successReplies.get(reply.type);
    const group = groupMembers(definition, state.currentStep);
    if (applyReply) {
      draft.accept(messageId, reply);
      draft.state.data = applyReply(draft.state.data, reply.payload);
      draft.answer(replying, "succeeded");
      if (group.every((i) => draft.state.groupAnswers.some((a) => a.step === i))) draft.advance();
    } else if (step.failureReplies.has(reply.type)) {
      draft.accept(messageId, reply);
      const reason = `step "${step.name}" failed: ${reply.type}${refusalReason(reply.payload)}`;
      // The participant refused, so it did nothing: only the steps before it need undoing, and the rest of its group, which may have acted.
      if (group.length === 1) {
        draft.failStep(replying, reason, replying - 1);
      } else {
        draft.answer(replying, "refused");
        draft.failStep(replying, reason, group[group.length - 1]!);
      }
    } else {
      return ignore(`"${reply.type}" is not a reply step "${step.name}" expects`);
    }
  } else {
    const { replyType, failureReplies } = compensationOf(step);
    if (reply.type === replyType) {
      draft.accept(messageId, reply);
      draft.record("step_compensated", state.currentStep, {});
      draft.compensateDownFrom(state.currentStep - 1);
    } else if (failureReplies.includes(reply.type)) {
      draft.accept(messageId, reply);
      // The participant says it cannot undo: only a person can decide what happens now.
      draft.park(`compensation of step "${step.name}" refused: ${reply.type}${refusalReason(reply.payload)}`);
    } else {
      return ignore(`"${reply.type}" is not "${replyType}", the reply that ends the compensation of step "${step.name}"`);
    }
  }
  return draft.result();
}

function onDeadline<Data>(definition: SagaDefinition<Data>, state: SagaState<Data>, now: Date): TransitionResult<Data> {
  if (state.status !== "RUNNING" && state.status !== "COMPENSATING") {
    return ignored(state, now, "event_ignored", `StepDeadlinePassed: nothing is awaited while ${state.status}`);
  }
  if (!state.deadlineAt || now < state.deadlineAt) {
    return ignored(state, now, "event_ignored", `StepDeadlinePassed: the deadline ${state.deadlineAt?.toISOString()} has not passed`);
  }
  const step = stepAt(definition, state.currentStep);
  const draft = new TransitionDraft(definition, state, now);
  const direction = awaitedDirection(definition, state);
  draft.record("deadline_passed", state.currentStep, { direction, attempt: state.attempt, deadlineAt: state.deadlineAt.toISOString() });
  const tries = `${state.attempt} attempt${state.attempt === 1 ? "" : "s"}`;
  if (direction === "forward") {
    // The steps of the group (of one, mostly) still to answer: re-sent together while every one of them may be.
    const group = groupMembers(definition, state.currentStep);
    const silent = group.filter((i) => !state.groupAnswers.some((a) => a.step === i));
    const resendable = (i: number) => {
      const timeout = stepAt(definition, i).timeout;
      return timeout.policy === "retry" && state.attempt < timeout.maxAttempts;
    };
    if (silent.every(resendable)) {
      draft.sendGroup(silent, state.attempt + 1);
    } else if (step.kind === "retriable") {
      // Past the pivot there is no way back: wait for the participant (a late reply still counts) or an operator.
      draft.park(`step "${step.name}" got no reply after ${tries}; it cannot be undone, so the saga waits (retry re-sends it)`);
    } else {
      // Without a reply a step may or may not have happened: undo it too (compensations tolerate "nothing to undo"), with the rest of its group.
      const names = silent.map((i) => `"${stepAt(definition, i).name}"`).join(" and ");
      draft.failStep(state.currentStep, `step ${names} got no reply after ${tries}`, group[group.length - 1]!);
    }
  } else if (state.attempt < compensationOf(step).timeout.maxAttempts) {
    draft.send("compensate", state.currentStep, state.attempt + 1);
  } else {
    draft.park(`compensation of step "${step.name}" got no reply after ${tries}`);
  }
  return draft.result();
}

/** One more supervised attempt at the parked command (a compensation, or a retriable step); if it times out too, the saga parks again. */
function onOperatorRetry<Data>(definition: SagaDefinition<Data>, state: SagaState<Data>, operator: string, now: Date): TransitionResult<Data> {
  if (state.status !== "NEEDS_ATTENTION") return notParked(state, now, "OperatorRetry");
  const draft = new TransitionDraft(definition, state, now);
  draft.record("operator_retry", state.currentStep, { operator });
  draft.send(awaitedDirection(definition, state), state.currentStep, state.attempt + 1);
  return draft.result();
}

/** Gives up on a parked saga: whatever is left to undo is now the operator's business. */
function onOperatorAbort<Data>(definition: SagaDefinition<Data>, state: SagaState<Data>, reason: string, operator: string, now: Date): TransitionResult<Data> {
  if (state.status !== "NEEDS_ATTENTION") return notParked(state, now, "OperatorAbort");
  const draft = new TransitionDraft(definition, state, now);
  draft.record("operator_abort", state.currentStep, { reason, operator, previousReason: state.failureReason });
  draft.state.failureReason = `aborted by operator: ${reason}`;
  draft.finish("FAILED");
  return draft.result();
}

/**
 * A cancel is decided by the saga model alone: while the saga runs at or
 * before its pivot, everything done can still be undone, so it is, as when a
 * step fails (the steps in flight included: without their reply they may or
 * may not have acted, and compensations tolerate "nothing to undo"). Once
 * the pivot has succeeded the saga only moves forward, and a saga already
 * undoing or ended has nothing to cancel. Either way the log keeps who asked.
 */
function onCancelRequested<Data>(
  definition: SagaDefinition<Data>,
  state: SagaState<Data>,
  event: Extract<SagaEvent<Data>, { type: "CancelRequested" }>,
): TransitionResult<Data> {
  const refuse = (reason: string) => ignored(state, event.now, "cancel_refused", reason, event.messageId, { requestedBy: event.requestedBy });
  const refusal = whyNotCancellable(definition, state);
  if (refusal) return refuse(refusal);
  const draft = new TransitionDraft(definition, state, event.now);
  draft.record("cancel_accepted", state.currentStep, { requestedBy: event.requestedBy, reason: event.reason }, event.messageId);
  const group = groupMembers(definition, state.currentStep);
  draft.state.failureReason = event.reason;
  draft.compensateDownFrom(group[group.length - 1]!);
  return draft.result();
}

/** A saga cancelled before its start arrived: it ends FAILED having sent nothing. */
function cancelledBeforeStart<Data>(definition: SagaDefinition<Data>, event: Extract<SagaEvent<Data>, { type: "CancelRequested" }>): TransitionResult<Data> {
  const draft = new TransitionDraft(definition, initialState(definition, event.sagaId, event.data), event.now);
  draft.record("cancel_accepted", 0, { requestedBy: event.requestedBy, reason: event.reason, beforeStart: true }, event.messageId);
  draft.state.failureReason = event.reason;
  draft.finish("FAILED");
  return draft.result();
}

/** Why a cancel cannot stop the saga now, or null when it can. */
function whyNotCancellable<Data>(definition: SagaDefinition<Data>, state: SagaState<Data>): string | null {
  if (isFinal(state.status)) return `the saga has already ended (${state.status})`;
  if (isPastPivot(definition, state.currentStep)) return "the pivot has succeeded: the saga can only complete";
  if (state.status !== "RUNNING") return `the saga is already being undone (${state.status})`;
  return null;
}

/**
 * Null when the reply answers the step and direction the saga is waiting on;
 * otherwise why not. Any attempt sent so far counts: a re-send asks the same
 * idempotent question, so every attempt's answer is the same answer, and
 * throwing an early one away would only cost another round trip.
 */
function whyNotAwaited<Data>(definition: SagaDefinition<Data>, state: SagaState<Data>, got: SagaCorrelation): string | null {
  if (isFinal(state.status)) return `the saga has already ended (${state.status})`;
  if (got.sagaId !== state.id || got.sagaType !== state.sagaType) return `the reply belongs to ${got.sagaType} saga ${got.sagaId}`;
  const direction = awaitedDirection(definition, state);
  if (got.direction === direction && got.attempt <= state.attempt) {
    if (got.step === state.currentStep && direction === "compensate") return null;
    // Forward, any step of the group in flight (a group of one: the current step) that has not answered yet.
    if (direction === "forward" && groupMembers(definition, state.currentStep).includes(got.step)) {
      const answered = state.groupAnswers.find((a) => a.step === got.step);
      if (!answered) return null;
      return `step ${got.step} has already answered (${answered.outcome})`;
    }
  }
  return (
    `the reply answers step ${got.step} (${got.direction}, attempt ${got.attempt}) ` +
    `but the saga awaits step ${state.currentStep} (${direction}, attempt ${state.attempt} or earlier)`
  );
}

/**
 * A parked saga still awaits its last command: a compensation, or a retriable
 * step past the pivot. A late success is real and lets it carry on.
 */
function awaitedDirection<Data>(definition: SagaDefinition<Data>, state: SagaState<Data>): SagaDirection {
  if (state.status === "RUNNING") return "forward";
  if (state.status === "NEEDS_ATTENTION" && stepAt(definition, state.currentStep).kind === "retriable") return "forward";
  return "compensate";
}

function notParked<Data>(state: SagaState<Data>, now: Date, eventType: string): TransitionResult<Data> {
  return ignored(state, now, "event_ignored", `${eventType}: only a saga in NEEDS_ATTENTION can take it; this one is ${state.status}`);
}

function ignored<Data>(
  state: SagaState<Data>,
  at: Date,
  kind: LogKind,
  reason: string,
  messageId: string | null = null,
  detail: Record<string, unknown> = {},
): TransitionResult<Data> {
  const entry: LogEntry = { sagaId: state.id, at, kind, step: state.currentStep, messageId, detail: { ...detail, reason } };
  return { state, changed: false, messages: [], log: [entry] };
}

function initialState<Data>(definition: SagaDefinition<Data>, sagaId: string, data: Data): SagaState<Data> {
  return {
    id: sagaId,
    sagaType: definition.name,
    definitionVersion: definition.version,
    status: "RUNNING",
    currentStep: 0,
    attempt: 1,
    groupAnswers: [],
    data,
    deadlineAt: null,
    failureReason: null,
  };
}

function stepAt<Data>(definition: SagaDefinition<Data>, index: number): StepDefinition<Data> {
  const step = definition.steps[index];
  if (!step) throw new Error(`${definition.name} v${definition.version} has no step ${index}`);
  return step;
}

function compensationOf<Data>(step: StepDefinition<Data>): CompensationDefinition<Data> {
  if (!step.compensation) throw new Error(`step "${step.name}" has no compensation`);
  return step.compensation;
}

/**
 * How long attempt `attempt` waits for its reply (the outbox cannot delay a
 * send, so the wait grows instead): exponential, capped, and stretched by a
 * jitter drawn from the saga id, so the machine stays deterministic while
 * sagas sent together spread their re-sends.
 */
export function replyWaitMs(timeout: StepTimeout | RetryBudget, attempt: number, sagaId: string): number {
  if (!("backoffMs" in timeout)) return timeout.ms;
  const grown = timeout.ms + timeout.backoffMs * (2 ** (attempt - 1) - 1);
  const capped = Math.min(grown, timeout.maxWaitMs ?? Infinity);
  return Math.round(capped * (1 + (timeout.jitter ?? 0) * unitHash(`${sagaId}/${attempt}`)));
}

/** FNV-1a of `text`, scaled to [0, 1). */
function unitHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0) / 2 ** 32;
}

/** Collects one transition's new state, outgoing messages and log, starting from a private copy of the state. */
class TransitionDraft<Data> {
  readonly state: SagaState<Data>;
  private readonly messages: OutgoingMessage[] = [];
  private readonly log: LogEntry[] = [];

  constructor(
    private readonly definition: SagaDefinition<Data>,
    state: SagaState<Data>,
    private readonly now: Date,
  ) {
    // A deep copy keeps the caller's state intact even if a reply handler mutates the data it is given.
    this.state = { ...state, groupAnswers: [...state.groupAnswers], data: structuredClone(state.data) };
  }

  record(kind: LogKind, step: number, detail: Record<string, unknown>, messageId: string | null = null): void {
    this.log.push({ sagaId: this.state.id, at: this.now, kind, step, messageId, detail });
  }

  accept(messageId: string, reply: SagaReply): void {
    const { direction, attempt, step } = reply.correlation;
    this.record("reply_accepted", step, { type: reply.type, direction, attempt }, messageId);
  }

  /** Sends one command: a compensation, or a step on its own. */
  send(direction: SagaDirection, stepIndex: number, attempt: number): void {
    const deadlineAt = this.command(direction, stepIndex, attempt);
    this.state.status = direction === "forward" ? "RUNNING" : "COMPENSATING";
    this.state.currentStep = stepIndex;
    this.state.attempt = attempt;
    this.state.deadlineAt = deadlineAt;
  }

  /** Sends these steps of one parallel group forward at once (a group of one is a step on its own); the saga waits for the last reply due. */
  sendGroup(steps: readonly number[], attempt: number): void {
    const deadlines = steps.map((i) => this.command("forward", i, attempt).getTime());
    this.state.status = "RUNNING";
    this.state.currentStep = stepAt(this.definition, steps[0]!).group;
    this.state.attempt = attempt;
    this.state.deadlineAt = new Date(Math.max(...deadlines));
  }

  /** Notes a step of the group in flight as answered. */
  answer(step: number, outcome: GroupAnswer["outcome"]): void {
    this.state.groupAnswers.push({ step, outcome });
  }

  advance(): void {
    const group = groupMembers(this.definition, this.state.currentStep);
    const next = group[group.length - 1]! + 1;
    this.state.groupAnswers = [];
    if (next < this.definition.steps.length) this.sendGroup(groupMembers(this.definition, next), 1);
    else this.finish("COMPLETED");
  }

  /** Builds a command, queues it and logs it; answers when its reply is due. */
  private command(direction: SagaDirection, stepIndex: number, attempt: number): Date {
    const step = stepAt(this.definition, stepIndex);
    const { command, timeout } = direction === "forward" ? step : compensationOf(step);
    const { type, payload } = command(this.state.data);
    const correlation: SagaCorrelation = { sagaType: this.state.sagaType, sagaId: this.state.id, step: stepIndex, direction, attempt };
    const deadlineAt = new Date(this.now.getTime() + replyWaitMs(timeout, attempt, this.state.id));
    const id = commandMessageId(correlation);
    const envelope: SagaCommand = { type, correlation, replyTo: this.definition.replyTopic, payload };
    this.messages.push({ id, topic: step.topic, key: this.state.id, type, payload: envelope });
    this.record("command_sent", stepIndex, { type, topic: step.topic, direction, attempt, deadlineAt: deadlineAt.toISOString() }, id);
    return deadlineAt;
  }

  failStep(failed: number, reason: string, firstToUndo: number): void {
    this.record("step_failed", failed, { reason });
    this.state.failureReason = reason;
    this.compensateDownFrom(firstToUndo);
  }

  /** Sends the compensation of the highest step at or below `index` that has one and did not refuse, or fails the saga when none is left. */
  compensateDownFrom(index: number): void {
    for (let i = index; i >= 0; i--) {
      if (this.state.groupAnswers.some((a) => a.step === i && a.outcome === "refused")) {
        this.record("compensation_skipped", i, { reason: "the step refused, so it did nothing" });
      } else if (stepAt(this.definition, i).compensation) {
        this.send("compensate", i, 1);
        return;
      } else {
        this.record("compensation_skipped", i, { reason: "the step has no compensation" });
      }
    }
    this.finish("FAILED");
  }

  park(reason: string): void {
    this.state.status = "NEEDS_ATTENTION";
    this.state.deadlineAt = null;
    this.record("saga_parked", this.state.currentStep, { reason });
  }

  finish(status: "COMPLETED" | "FAILED"): void {
    this.state.status = status;
    this.state.deadlineAt = null;
    const reason = status === "FAILED" ? this.state.failureReason : null;
    const result: SagaResult<Data> = { sagaType: this.state.sagaType, sagaId: this.state.id, status, reason, data: this.state.data };
    const id = resultMessageId(this.state.sagaType, this.state.id);
    const { type, topic } = this.definition.results[status];
    this.messages.push({ id, topic, key: this.state.id, type, payload: result });
    this.record(status === "COMPLETED" ? "saga_completed" : "saga_failed", this.state.currentStep, { reason }, id);
  }

  result(): TransitionResult<Data> {
    return { state: this.state, changed: true, messages: this.messages, log: this.log };
  }
}

/** The participant's own words, when its refusal carries a `reason` ("insufficient stock for product 7"). */
function refusalReason(payload: unknown): string {
  const reason = (payload as { reason?: unknown } | null)?.reason;
  return typeof reason === "string" && reason !== "" ? ` (${reason})` : "";
}
