/**
 * What committed transitions say about how sagas fare, for a host to count
 * (the orchestrator turns them into Prometheus metrics): sagas started,
 * completed, failed and parked, steps that failed, compensations, re-sends,
 * passed deadlines, and how long each accepted reply took since its command
 * was sent. Pure: read from the transitions' logs and states.
 */
import type { SagaDefinition } from "./definition";
import type { SagaDirection } from "./messages";
import type { CommittedTransition } from "./saga-engine";
import { replyWaitMs } from "./transitions";

export type SagaObservation =
  | { kind: "started" | "completed" | "failed"; saga: string }
  | { kind: "step_failed" | "parked" | "compensated"; saga: string; step: string }
  | { kind: "resent" | "deadline_passed"; saga: string; step: string; direction: SagaDirection }
  | { kind: "reply_latency"; saga: string; step: string; direction: SagaDirection; seconds: number };

const isDirection = (value: unknown): value is SagaDirection => value === "forward" || value === "compensate";

/**
 * When the command a reply answers was sent: its deadline less the wait that
 * attempt was given (deterministic per saga). A parallel group's deadline is
 * its latest step's, so for its other steps this is an estimate.
 */
function sentAt<Data>(
  definition: SagaDefinition<Data>,
  before: CommittedTransition<unknown>["before"],
  stepIndex: number,
  direction: SagaDirection,
): number | null {
  if (!before?.deadlineAt) return null;
  const step = definition.steps[stepIndex];
  const timeout = direction === "forward" ? step?.timeout : step?.compensation?.timeout;
  return timeout ? before.deadlineAt.getTime() - replyWaitMs(timeout, before.attempt, before.id) : null;
}

export function sagaObservations<Data>(definition: SagaDefinition<Data>, transitions: readonly CommittedTransition<unknown>[]): SagaObservation[] {
  const saga = definition.name;
  const observations: SagaObservation[] = [];
  for (const { before, after, log } of transitions) {
    if (after.definitionVersion !== definition.version) continue;
    for (const entry of log) {
      const step = definition.steps[entry.step]?.name ?? String(entry.step);
      const direction = isDirection(entry.detail.direction) ? entry.detail.direction : null;
      switch (entry.kind) {
        case "saga_started":
          observations.push({ kind: "started", saga });
          break;
        case "saga_completed":
          observations.push({ kind: "completed", saga });
          break;
        case "saga_failed":
          observations.push({ kind: "failed", saga });
          break;
        case "step_failed":
          observations.push({ kind: "step_failed", saga, step });
          break;
        case "saga_parked":
          observations.push({ kind: "parked", saga, step });
          break;
        case "step_compensated":
          observations.push({ kind: "compensated", saga, step });
          break;
        case "command_sent":
          if (direction && Number(entry.detail.attempt) > 1) observations.push({ kind: "resent", saga, step, direction });
          break;
        case "deadline_passed":
          if (direction) observations.push({ kind: "deadline_passed", saga, step, direction });
          break;
        case "reply_accepted": {
          const sent = direction && sentAt(definition, before, entry.step, direction);
          if (direction && sent) observations.push({ kind: "reply_latency", saga, step, direction, seconds: Math.max(0, entry.at.getTime() - sent) / 1000 });
          break;
        }
        default:
          break;
      }
    }
  }
  return observations;
}
