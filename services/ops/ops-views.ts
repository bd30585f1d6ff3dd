/** What the ops service answers: the dashboard's and the console's view of the running system. */
import type { ServiceDatabase } from "../../lib/environment";
import type { ReplayProgress, ReplayRequest } from "../../lib/outbox/outbox-replay";
import type { OutboxStatus } from "../../lib/outbox/outbox-status";
import type { SagaCountsView } from "../orchestrator/saga-views";
import type { ConsumerLag } from "./consumer-lag";
import type { DeadLetter, Requeue } from "./dead-letters";
import type { ThroughputSeries } from "./throughput";

export interface ReplayView extends ReplayRequest {
  database: ServiceDatabase;
  from: string;
  to: string;
  requestedBy: string;
  progress: ReplayProgress | null;
}

export type OutboxRow = OutboxStatus | { database: ServiceDatabase; error: string };

export interface DeadLetterCount {
  topic: string;
  kept: number;
  requeued: number;
}

export interface ListedDeadLetter extends DeadLetter {
  requeued: Requeue | null;
}

export interface Overview {
  at: string;
  sagas: SagaCountsView | null;
  throughput: ThroughputSeries;
  outbox: OutboxRow[];
  consumers: ConsumerLag[] | null;
  deadLetters: DeadLetterCount[] | null;
  replays: ReplayView[];
  /** What could not be read this time, one line each. */
  problems: string[];
}
