/**
 * Declarative, versioned saga definitions in the model of Garcia-Molina and
 * Salem: compensatable steps, then one pivot (the go/no-go step), then
 * retriable steps that cannot fail and are never undone. Every command and
 * reply is a message declaration (lib/messages): a command goes to its
 * declared topic, and a reply's payload reaches `onReply` typed as declared.
 *
 *   defineSaga<Data>("transfer", 1, { replyTopic: "saga.replies", results: { COMPLETED: Transferred, FAILED: NotTransferred } })
 *     .step("hold")                                         // compensatable (the default)
 *       .invoke(Hold, (d) => ({ account: d.from, amount: d.amount }))
 *       .onReply(Held, (d, held) => ({ ...d, hold: held.holdId }))
 *       .onFailure(HoldRejected)
 *       .withCompensation({ command: Release, payload: (d) => ({ hold: d.hold }), reply: Released,
 *                           timeout: { ms: 5_000, maxAttempts: 5, backoffMs: 1_000 } })
 *       .timeout({ ms: 5_000, policy: "retry", maxAttempts: 3, backoffMs: 1_000 })
 *     .step("notify-risk").parallelWithPrevious() ...        // sent with "hold"; both must succeed
 *     .step("transfer").pivot() ...                         // past here the saga only moves forward
 *     .step("notify").retriable() ...                       // re-sent until it succeeds
 *     .build();
 */
import type { MessageDeclaration, PayloadOf } from "../messages/message-declaration";
import type { FinalStatus } from "./state";

/** The type and payload of a command, computed from the saga's data when it is sent. */
export interface CommandSpec {
  type: string;
  payload: unknown;
}

export type CommandBuilder<Data> = (data: Data) => CommandSpec;

/** Folds a success reply's payload into the saga's data. */
export type ReplyHandler<Data> = (data: Data, payload: unknown) => Data;

/**
 * How long to wait for a reply, and how often to re-send before giving up.
 * Re-sends back off exponentially: attempt n waits ms + backoffMs × (2^(n-1) − 1),
 * at most maxWaitMs, stretched by up to `jitter` (a fraction) so that sagas
 * sent together do not re-send together.
 */
export interface RetryBudget {
  ms: number;
  /** Sends in total, the first one included. */
  maxAttempts: number;
  backoffMs: number;
  /** Cap on one wait; none when absent. */
  maxWaitMs?: number;
  /** 0 (the default) to 1. */
  jitter?: number;
}

/**
 * What a step does when its reply is late: re-send (only where the participant
 * handles the command idempotently) or give up and compensate at once.
 */
export type StepTimeout = ({ policy: "retry" } & RetryBudget) | { policy: "compensate"; ms: number };

/**
 * compensatable: undone (if it has a compensation) when a later step up to the pivot fails.
 * pivot: the last step that may fail; once it succeeds the saga can only complete.
 * retriable: after the pivot; cannot fail, so it is re-sent until it succeeds and never undone.
 */
export type StepKind = "compensatable" | "pivot" | "retriable";

/** How a step is undone, as the definition says it. */
export interface CompensationSpec<Data, Command extends MessageDeclaration> {
  command: Command;
  payload: (data: Data) => PayloadOf<Command>;
  /** The only reply that counts as "undone"; the participant must also send it when there was nothing to undo. */
  reply: MessageDeclaration;
  /** Replies meaning "this cannot be undone" (never a false "undone"): the saga parks for an operator. */
  failureReplies?: readonly MessageDeclaration[];
  /** Compensations are never abandoned silently: past maxAttempts the saga parks for an operator. */
  timeout: RetryBudget;
}

/** A compensation as the engine runs it: the spec with its messages by type. */
export interface CompensationDefinition<Data> {
  command: CommandBuilder<Data>;
  replyType: string;
  failureReplies: readonly string[];
  timeout: RetryBudget;
}

export interface StepDefinition<Data> {
  name: string;
  kind: StepKind;
  /**
   * The index of the first step of this step's parallel group: the steps of
   * a group are sent at once and the saga moves on once all have succeeded.
   * A step on its own is a group of one (its own index).
   */
  group: number;
  /** The participant's command topic; compensations go there too. */
  topic: string;
  command: CommandBuilder<Data>;
  successReplies: ReadonlyMap<string, ReplyHandler<Data>>;
  failureReplies: ReadonlySet<string>;
  timeout: StepTimeout;
  compensation: CompensationDefinition<Data> | null;
}

/** A message as the saga sends it: its type, and the topic it goes to. */
export interface Outgoing {
  type: string;
  topic: string;
}

export interface SagaDefinition<Data> {
  name: string;
  version: number;
  /** Put on every command as `replyTo`. */
  replyTopic: string;
  /** The SagaResult published when the saga completes or fails. */
  results: Readonly<Record<FinalStatus, Outgoing>>;
  steps: readonly StepDefinition<Data>[];
  /** Every reply the saga takes, by type: a reply is checked against its declaration before the saga sees it. */
  replies: ReadonlyMap<string, MessageDeclaration>;
}

export interface SagaMessaging {
  /** Where participants send their replies. */
  replyTopic: string;
  /** The result messages, by how the saga ended. */
  results: Readonly<Record<FinalStatus, MessageDeclaration>>;
  /** The topic a message declared on `topic` travels on: its own, unless a test moves the saga onto private topics. */
  route?: (topic: string) => string;
}

export function defineSaga<Data>(name: string, version: number, messaging: SagaMessaging): SagaBuilder<Data> {
  return new SagaBuilder<Data>(name, version, messaging);
}

interface StepDraft<Data> {
  name: string;
  kind: StepKind;
  parallelWithPrevious: boolean;
  topic?: string;
  command?: CommandBuilder<Data>;
  successReplies: Map<string, ReplyHandler<Data>>;
  failureReplies: Set<string>;
  timeout?: StepTimeout;
  compensation?: CompensationDefinition<Data>;
  /** Where the compensation is declared to go: it must be the step's own topic. */
  compensationTopic?: string;
  /** Every reply the step takes, forward and compensating. */
  replies: MessageDeclaration[];
}

export class SagaBuilder<Data> {
  private readonly drafts: StepDraft<Data>[] = [];

  constructor(
    private readonly name: string,
    private readonly version: number,
    private readonly messaging: SagaMessaging,
  ) {}

  step(name: string): StepBuilder<Data> {
    const draft: StepDraft<Data> = {
      name,
      kind: "compensatable",
      parallelWithPrevious: false,
      successReplies: new Map(),
      failureReplies: new Set(),
      replies: [],
    };
    this.drafts.push(draft);
    return new StepBuilder(draft, this, this.messaging.route ?? ((topic) => topic));
  }

  /** Checks the whole definition, so a mistake fails at startup rather than mid-saga. */
  build(): SagaDefinition<Data> {
    const problems: string[] = [];
    if (!this.name) problems.push("the saga needs a name");
    if (!Number.isInteger(this.version) || this.version < 1) problems.push("the version must be a positive integer");
    if (!this.messaging.replyTopic) problems.push("a replyTopic is required");
    if (this.drafts.length === 0) problems.push("a saga needs at least one step");
    const names = this.drafts.map((d) => d.name);
    for (const name of new Set(names.filter((n, i) => names.indexOf(n) !== i))) problems.push(`step "${name}" is defined twice`);
    checkOrder(this.drafts, problems);
    const groups = groupStarts(this.drafts, problems);
    const steps = this.drafts.flatMap((draft, index) => toStep(draft, groups[index]!, problems) ?? []);
    const replies = repliesByType(this.drafts, problems);
    if (problems.length > 0) {
      throw new Error(`Invalid saga definition "${this.name}" v${this.version}: ${problems.join("; ")}`);
    }
    const route = this.messaging.route ?? ((topic: string) => topic);
    const outgoing = ({ name, topic }: MessageDeclaration): Outgoing => ({ type: name, topic: route(topic) });
    const { COMPLETED, FAILED } = this.messaging.results;
    return Object.freeze({
      name: this.name,
      version: this.version,
      replyTopic: this.messaging.replyTopic,
      results: Object.freeze({ COMPLETED: outgoing(COMPLETED), FAILED: outgoing(FAILED) }),
      steps: Object.freeze(steps),
      replies,
    });
  }
}

export class StepBuilder<Data> {
  constructor(
    private readonly draft: StepDraft<Data>,
    private readonly saga: SagaBuilder<Data>,
    private readonly route: (topic: string) => string,
  ) {}

  /** The step's command, sent to its declared topic with the payload computed from the saga's data. */
  invoke<Command extends MessageDeclaration>(command: Command, payload: (data: Data) => PayloadOf<Command>): this {
    this.draft.topic = this.route(command.topic);
    this.draft.command = (data) => ({ type: command.name, payload: payload(data) });
    return this;
  }

  /**
   * A reply meaning the step succeeded; `apply` (optional) folds its payload
   * into the data. The payload has passed the reply's schema by then.
   */
  onReply<Reply extends MessageDeclaration>(reply: Reply, apply?: (data: Data, payload: PayloadOf<Reply>) => Data): this {
    // The consumer checked the payload against this declaration before the saga saw it.
    this.draft.successReplies.set(reply.name, (data, payload) => (apply ? apply(data, payload as PayloadOf<Reply>) : data));
    this.draft.replies.push(reply);
    return this;
  }

  /** The go/no-go step: steps before it are compensatable, steps after it retriable. At most one per saga. */
  pivot(): this {
    this.draft.kind = "pivot";
    return this;
  }

  /**
   * Sent together with the step before it (and that one's group), not after
   * it: the saga moves on once every step of the group has succeeded, and a
   * failure of one compensates the others and the steps before, in reverse.
   * Only compensatable steps may run in parallel. `parallel` false keeps
   * the step sequential (an older version of a saga, say).
   */
  parallelWithPrevious(parallel = true): this {
    this.draft.parallelWithPrevious = parallel;
    return this;
  }

  /** A step after the pivot that cannot fail: no failure replies, no compensation, re-sent until it succeeds. */
  retriable(): this {
    this.draft.kind = "retriable";
    return this;
  }

  /** Replies meaning the participant refused and did nothing: the steps before this one are compensated. */
  onFailure(...replies: MessageDeclaration[]): this {
    for (const reply of replies) this.draft.failureReplies.add(reply.name);
    this.draft.replies.push(...replies);
    return this;
  }

  /** The compensation goes to the step's own topic: the participant that did the step undoes it. */
  withCompensation<Command extends MessageDeclaration>(spec: CompensationSpec<Data, Command>): this {
    const { command, payload, reply, failureReplies = [], timeout } = spec;
    this.draft.compensation = {
      command: (data) => ({ type: command.name, payload: payload(data) }),
      replyType: reply.name,
      failureReplies: failureReplies.map((r) => r.name),
      timeout,
    };
    this.draft.compensationTopic = this.route(command.topic);
    this.draft.replies.push(reply, ...failureReplies);
    return this;
  }

  timeout(timeout: StepTimeout): this {
    this.draft.timeout = timeout;
    return this;
  }

  step(name: string): StepBuilder<Data> {
    return this.saga.step(name);
  }

  build(): SagaDefinition<Data> {
    return this.saga.build();
  }
}

/** The finished step, or null with the reasons added to `problems`. */
function toStep<Data>(draft: StepDraft<Data>, group: number, problems: string[]): StepDefinition<Data> | null {
  const at = `step "${draft.name}"`;
  const before = problems.length;
  const { topic, command, timeout } = draft;
  if (!topic || !command) problems.push(`${at} needs invoke(command, payload)`);
  if (draft.successReplies.size === 0) problems.push(`${at} needs at least one onReply`);
  for (const type of draft.failureReplies) {
    if (draft.successReplies.has(type)) problems.push(`${at} treats "${type}" as both success and failure`);
  }
  if (!timeout) problems.push(`${at} needs a timeout`);
  else checkTimeout(timeout, at, problems);
  if (draft.compensation) {
    checkBudget(draft.compensation.timeout, `${at} compensation`, problems);
    if (topic && draft.compensationTopic !== topic) {
      problems.push(`${at} is undone on ${draft.compensationTopic}, not on ${topic}: the participant that did the step undoes it`);
    }
    if (draft.compensation.failureReplies?.includes(draft.compensation.replyType)) {
      problems.push(`${at} compensation treats "${draft.compensation.replyType}" as both success and failure`);
    }
  }
  if (!topic || !command || !timeout || problems.length > before) return null;
  return Object.freeze({
    name: draft.name,
    kind: draft.kind,
    group,
    topic,
    command,
    // Copies, so reusing the builder after build() cannot change a built definition.
    successReplies: new Map(draft.successReplies),
    failureReplies: new Set(draft.failureReplies),
    timeout,
    compensation: draft.compensation ?? null,
  });
}

/**
 * Every reply the saga takes, by type. One type is one declaration: two
 * different declarations of one name could not both be checked.
 */
function repliesByType<Data>(drafts: readonly StepDraft<Data>[], problems: string[]): ReadonlyMap<string, MessageDeclaration> {
  const replies = new Map<string, MessageDeclaration>();
  for (const reply of drafts.flatMap((d) => d.replies)) {
    const known = replies.get(reply.name);
    if (known && known !== reply) problems.push(`two different declarations of the reply "${reply.name}"`);
    replies.set(reply.name, reply);
  }
  return replies;
}

/** The pivot splits the saga: compensatable steps before it, retriable steps after it. */
function checkOrder<Data>(drafts: readonly StepDraft<Data>[], problems: string[]): void {
  const pivots = drafts.filter((d) => d.kind === "pivot");
  if (pivots.length > 1) problems.push(`only one step may be the pivot, not ${pivots.map((d) => `"${d.name}"`).join(", ")}`);
  const pivotAt = drafts.findIndex((d) => d.kind === "pivot");
  drafts.forEach((draft, index) => {
    const at = `step "${draft.name}"`;
    if (draft.kind === "compensatable" && pivotAt >= 0 && index > pivotAt) problems.push(`${at} follows the pivot, so it must be retriable`);
    if (draft.kind !== "retriable") return;
    if (pivotAt < 0 || index < pivotAt) problems.push(`${at} is retriable, so it must follow the pivot`);
    if (draft.failureReplies.size > 0) problems.push(`${at} is retriable, so it cannot declare failure replies`);
    if (draft.compensation) problems.push(`${at} is retriable, so it is never compensated`);
    if (draft.timeout && draft.timeout.policy !== "retry") problems.push(`${at} is retriable, so its timeout policy must be "retry"`);
  });
}

/** Each step's group: the index of its group's first step. Only compensatable steps run in parallel. */
function groupStarts<Data>(drafts: readonly StepDraft<Data>[], problems: string[]): number[] {
  const starts: number[] = [];
  drafts.forEach((draft, index) => {
    const joins = draft.parallelWithPrevious && index > 0;
    if (draft.parallelWithPrevious && index === 0) problems.push(`step "${draft.name}" is the first, so it has no step to run in parallel with`);
    starts.push(joins ? starts[index - 1]! : index);
  });
  drafts.forEach((draft, index) => {
    const inGroup = starts[index] !== index || starts[index + 1] === index;
    if (inGroup && draft.kind !== "compensatable") problems.push(`step "${draft.name}" is ${draft.kind}, so it cannot run in parallel with other steps`);
  });
  return starts;
}

/** The indexes of the steps in the parallel group that begins at (or holds) step `index`, in order. */
export function groupMembers<Data>(definition: SagaDefinition<Data>, index: number): number[] {
  const start = definition.steps[index]?.group ?? index;
  return definition.steps.flatMap((step, i) => (step.group === start ? [i] : []));
}

/** Whether a saga at step `index` is past its pivot: only retriable steps follow it, so the saga can only complete. */
export function isPastPivot<Data>(definition: SagaDefinition<Data>, index: number): boolean {
  return definition.steps[index]?.kind === "retriable";
}

/**
 * The step a saga is at, as a client or operator sees it: while it runs a
 * parallel group forward, the group's names joined by "+"; otherwise (a
 * compensation, one by one) the step's own name. Null past the last step.
 */
export function currentStepName<Data>(definition: SagaDefinition<Data>, saga: { status: string; currentStep: number }): string | null {
  const step = definition.steps[saga.currentStep];
  if (!step) return null;
  if (saga.status !== "RUNNING") return step.name;
  return groupMembers(definition, saga.currentStep)
    .map((i) => definition.steps[i]!.name)
    .join("+");
}

function checkTimeout(timeout: StepTimeout, at: string, problems: string[]): void {
  if (timeout.policy === "retry") checkBudget(timeout, at, problems);
  else if (!(timeout.ms > 0)) problems.push(`${at}: timeout ms must be positive`);
}

function checkBudget(budget: RetryBudget, at: string, problems: string[]): void {
  if (!(budget.ms > 0)) problems.push(`${at}: timeout ms must be positive`);
  if (!Number.isInteger(budget.maxAttempts) || budget.maxAttempts < 1) problems.push(`${at}: maxAttempts must be an integer of at least 1`);
  if (!(budget.backoffMs >= 0)) problems.push(`${at}: backoffMs must not be negative`);
  if (budget.maxWaitMs !== undefined && !(budget.maxWaitMs >= budget.ms)) problems.push(`${at}: maxWaitMs must be at least ms`);
  if (budget.jitter !== undefined && !(budget.jitter >= 0 && budget.jitter <= 1)) problems.push(`${at}: jitter must be between 0 and 1`);
}
