/**
 * Applies overdue step deadlines on a timer. Sweeps of one instance never
 * overlap (PeriodicWork); sweeps of several instances take different sagas,
 * as the store locks with SKIP LOCKED.
 */
import type { LoggerInstance } from "moleculer";
import type { SagaEngine } from "../../lib/saga/saga-engine";
import { PeriodicWork } from "../../lib/scheduling/periodic-work";

export class DeadlineSweeper {
  private readonly schedule: PeriodicWork;
  /** Whether the last sweep held deadlines back, so the log says when that starts and ends rather than every second. */
  private holding = false;

  constructor(
    private readonly engine: Pick<SagaEngine<unknown>, "sweepOverdue">,
    intervalMs: number,
    private readonly logger: LoggerInstance,
  ) {
    this.schedule = new PeriodicWork(
      intervalMs,
      () => this.sweep(),
      (error) => this.logger.error("deadline sweep failed:", error),
    );
  }

  start(): void {
    this.schedule.start();
  }

  /** Cancels the next sweep and waits for one in progress, so the database can close under no one. */
  stop(): Promise<void> {
    return this.schedule.stop();
  }

  private async sweep(): Promise<void> {
    const report = await this.engine.sweepOverdue(new Date());
    const { postponedFor } = report;
    // Null: nothing was due, so the queues were not looked at and the last word stands.
    if (postponedFor !== null && postponedFor.length > 0 !== this.holding) {
      this.holding = postponedFor.length > 0;
      this.logger.info(
        this.holding ? `deadlines wait for unread queues (now: ${postponedFor.join(", ")})` : "every queue is read: deadlines apply as they fall due",
      );
    }
    for (const { sagaId, error } of report.failed) {
      this.logger.warn(`deadline of saga ${sagaId} not applied; will try again:`, (error as Error).message);
    }
  }
}
