import type { SagaCommand, SagaResult } from "./messages";

/**
 * RUNNING: a forward step awaits its reply. COMPENSATING: a compensation awaits
 * its reply. NEEDS_ATTENTION: parked for an operator, who retries or aborts it:
 * a compensation ran out of tries or was refused, or a retriable step ran out
 * of its budget (a late reply still moves it on). COMPLETED and FAILED are final.
 */
export const SAGA_STATUSES = ["RUNNING", "COMPENSATING", "NEEDS_ATTENTION", "COMPLETED", "FAILED"] as const;
export type SagaStatus = (typeof SAGA_STATUSES)[number];
export type FinalStatus = Extract<SagaStatus, "COMPLETED" | "FAILED">;
/** A status a saga can still leave: where a client sees progress. */
export type UnfinishedStatus = Exclude<SagaStatus, FinalStatus>;

export const ACTIVE_STATUSES: readonly SagaStatus[] = ["RUNNING", "COMPENSATING"];
export const FINAL_STATUSES: readonly FinalStatus[] = ["COMPLETED", "FAILED"];

export function isFinal(status: string): status is FinalStatus {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}

export const UNFINISHED_STATUSES: readonly UnfinishedStatus[] = SAGA_STATUSES.filter((status): status is UnfinishedStatus => !isFinal(status));

/** What a step of the parallel group in flight has answered (a step not listed has not yet). */
export interface GroupAnswer {
  step: number;
  outcome: "succeeded" | "refused";
}

/** Everything the state machine knows about one saga instance. */
export interface SagaState<Data> {
  id: string;
  sagaType: string;
  definitionVersion: number;
  status: SagaStatus;
  /** The step whose command (forward or compensation, as the status says) was sent last. */
  currentStep: number;
  /**
   * Attempt number of that command (of every command of a parallel group in
   * flight): a reply counts if it carries this attempt or an earlier one.
   */
  attempt: number;
  /**
   * While a parallel group runs: its steps that have succeeded. Once one
   * refused: that one too, so the compensations pass over it (it did
   * nothing). Empty for a step on its own.
   */
  groupAnswers: GroupAnswer[];
  data: Data;
  /** When the awaited reply is overdue; null when nothing is awaited. */
  deadlineAt: Date | null;
  /** Why the saga is compensating or failed. */
  failureReason: string | null;
}

export type LogKind =
  | "saga_started"
  | "command_sent"
  | "reply_accepted"
  | "reply_ignored"
  | "event_ignored"
  | "deadline_passed"
  | "step_failed"
  | "compensation_skipped"
  | "step_compensated"
  | "saga_parked"
  | "operator_retry"
  | "operator_abort"
  | "cancel_accepted"
  | "cancel_refused"
  | "saga_completed"
  | "saga_failed";

/** One row of the append-only saga log. */
export interface LogEntry {
  sagaId: string;
  at: Date;
  kind: LogKind;
  /** The step the entry is about. */
  step: number;
  /** The command sent or the reply received, when there is one. */
  messageId: string | null;
  detail: Record<string, unknown>;
}

/**
 * A message for the host to write to its transactional outbox:
 * id → outbox.id, topic → aggregatetype, key → aggregateid, type → type, payload → payload.
 */
export interface OutgoingMessage {
  id: string;
  topic: string;
  /** The saga id, so one saga's messages keep their order in a partition. */
  key: string;
  type: string;
  payload: SagaCommand | SagaResult;
}
