/**
 * Work a service does every so often while it runs (a sweep, a prune, a
 * look at the outbox). Runs of one schedule never overlap: the next is
 * timed from the end of the last, so slow work is not stacked up. `stop()`
 * cancels the next run and waits for one in progress, so whatever the work
 * uses (a database pool) can be closed under no one. The work handles its
 * own errors; one that escapes is handed to `onError` and the schedule goes on.
 */
/**
 * When a prune first runs after a start: soon, not an interval later. A
 * service restarted more often than its prune interval (deploys) would
 * otherwise never prune.
 */
export const FIRST_PRUNE_AFTER_MS = 60_000;

export class PeriodicWork {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = true;

  constructor(
    private readonly intervalMs: number,
    private readonly work: () => Promise<unknown>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** The first run comes after `firstRunAfterMs` (never later than an interval), each next one an interval after the last ended. */
  start(firstRunAfterMs = this.intervalMs): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(Math.min(firstRunAfterMs, this.intervalMs));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(afterMs = this.intervalMs): void {
    if (this.stopped) return;
    // Unreferenced: a schedule alone does not keep a process alive.
    this.timer = setTimeout(() => {
      this.running = this.work()
        .then(() => undefined, this.onError)
        .finally(() => this.schedule());
    }, afterMs).unref();
  }
}
