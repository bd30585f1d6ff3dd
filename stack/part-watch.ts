/**
 * Watches the stack's parts while `npm start` runs its services: a part
 * that turns unhealthy is said loudly, with the command that heals it by
 * hand, and (unless STACK_PART_RESTART=off) brought back by its own `up()`
 * after the supervisor's capped backoff. `up()` starts only what is not
 * running, so a part that is alive but unhealthy (a stalled connector) is
 * reported, not restarted.
 */
import { DEFAULT_RESTART_POLICY, planRestart } from "./supervisor";
import type { StackPart } from "./parts/part";

export interface PartWatchOptions {
  intervalMs: number;
  restart: boolean;
  report: (message: string) => void;
}

interface WatchedPart {
  part: StackPart;
  healthy: boolean;
  crashStreak: number;
  nextTryAt: number;
  busy: boolean;
}

export class PartWatch {
  private timer?: NodeJS.Timeout;
  private readonly watched: WatchedPart[];

  constructor(
    parts: StackPart[],
    private readonly options: PartWatchOptions,
  ) {
    this.watched = parts.map((part) => ({ part, healthy: true, crashStreak: 0, nextTryAt: 0, busy: false }));
  }

  start(): void {
    this.timer = setInterval(() => {
      for (const w of this.watched) if (!w.busy) void this.look(w);
    }, this.options.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async look(w: WatchedPart): Promise<void> {
    w.busy = true;
    try {
      const status = await w.part.status().catch((error: Error) => ({ healthy: false, detail: error.message }));
      if (status.healthy) {
        if (!w.healthy) this.options.report(`${w.part.name} is healthy again: ${status.detail}`);
        w.healthy = true;
        return;
      }
      const now = Date.now();
      if (w.healthy) {
        w.healthy = false;
        w.crashStreak = 0;
        w.nextTryAt = now;
        const what = this.options.restart ? "restarting it" : "STACK_PART_RESTART=off: not restarting it";
        this.options.report(
          `!! ${w.part.name} UNHEALTHY: ${status.detail}; ${what} (by hand: npm run stack -- up; its log: npm run stack -- logs ${w.part.name})`,
        );
      }
      if (!this.options.restart || now < w.nextTryAt) return;
      const plan = planRestart(w.crashStreak, 0, DEFAULT_RESTART_POLICY);
      w.crashStreak = plan.crashStreak;
      w.nextTryAt = now + plan.delayMs;
      await w.part
        .up()
        .catch((error: Error) =>
          this.options.report(`!! ${w.part.name} did not come back (next try in ${plan.delayMs / 1000} s): ${error.message.split("\n")[0]}`),
        );
    } finally {
      w.busy = false;
    }
  }
}
