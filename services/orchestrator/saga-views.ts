/** How sagas look to an operator (REPL): the state with its step named, plus the log when asked for one saga. */
import { currentStepName, type SagaDefinition } from "../../lib/saga/definition";
import type { SagaLogRecord, StoredSaga } from "../../lib/saga/saga-store";
import type { SagaState, SagaStatus } from "../../lib/saga/state";

export interface SagaView {
  id: string;
  sagaType: string;
  definitionVersion: number;
  status: SagaStatus;
  currentStep: number;
  stepName: string | null;
  attempt: number;
  deadlineAt: Date | null;
  failureReason: string | null;
  data: unknown;
}

export interface StoredSagaView extends SagaView {
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** Ended sagas are counted over this last stretch of time; unfinished ones always all. */
export const ENDED_SAGAS_COUNTED_FOR_MS = 60 * 60_000;

/** How many sagas are in each status: every unfinished one, and those that ended since `endedSince` (ISO time, as it crosses the wire). */
export interface SagaCountsView {
  byStatus: Record<SagaStatus, number>;
  endedSince: string;
}

export function sagaView<Data>(definition: SagaDefinition<Data>, state: SagaState<unknown>): SagaView {
  const { id, sagaType, definitionVersion, status, currentStep, attempt, deadlineAt, failureReason, data } = state;
  const stepName = currentStepName(definition, state);
  return { id, sagaType, definitionVersion, status, currentStep, stepName, attempt, deadlineAt, failureReason, data };
}

export function storedSagaView<Data>(definition: SagaDefinition<Data>, saga: StoredSaga): StoredSagaView {
  return { ...sagaView(definition, saga.state), version: saga.version, createdAt: saga.createdAt, updatedAt: saga.updatedAt };
}

/** The saga with its log, each entry with the name of the step it is about. */
export function sagaWithLogView<Data>(definition: SagaDefinition<Data>, found: { saga: StoredSaga; log: SagaLogRecord[] }) {
  return { ...storedSagaView(definition, found.saga), log: found.log.map((entry) => ({ ...entry, stepName: definition.steps[entry.step]?.name ?? null })) };
}
