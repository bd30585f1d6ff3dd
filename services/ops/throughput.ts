/**
 * Sagas completed and failed per second over the last minutes, for the
 * dashboard's sparklines. Built from the orchestrators' own counters
 * (shop_sagas_completed_total, shop_sagas_failed_total), sampled at an
 * interval: each sample adds what every orchestrator node counted since the
 * last one. A counter that went down belongs to a restarted node, whose new
 * count is all new.
 */
export interface SagaTotals {
  completed: number;
  failed: number;
}

export interface ThroughputSeries {
  /** Seconds between samples. */
  intervalSeconds: number;
  /** Oldest first, one per interval: sagas per second. */
  completed: number[];
  failed: number[];
}

export class ThroughputSampler {
  private readonly last = new Map<string, SagaTotals>();
  private readonly completed: number[] = [];
  private readonly failed: number[] = [];

  constructor(
    private readonly intervalSeconds: number,
    private readonly keep: number,
  ) {}

  /** One sample: each node's totals now. Nodes that are gone are forgotten. */
  record(totalsByNode: ReadonlyMap<string, SagaTotals>): void {
    let completed = 0;
    let failed = 0;
    for (const [node, now] of totalsByNode) {
      const before = this.last.get(node);
      // A node seen for the first time only sets the baseline: its count so far is history, not this interval.
      if (before) {
        completed += now.completed >= before.completed ? now.completed - before.completed : now.completed;
        failed += now.failed >= before.failed ? now.failed - before.failed : now.failed;
      }
      this.last.set(node, now);
    }
    for (const node of [...this.last.keys()]) if (!totalsByNode.has(node)) this.last.delete(node);
    this.push(this.completed, completed / this.intervalSeconds);
    this.push(this.failed, failed / this.intervalSeconds);
  }

  series(): ThroughputSeries {
    return { intervalSeconds: this.intervalSeconds, completed: [...this.completed], failed: [...this.failed] };
  }

  private push(values: number[], value: number): void {
    values.push(value);
    if (values.length > this.keep) values.shift();
  }
}
