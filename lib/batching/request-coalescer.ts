/**
 * Serves concurrent requests in batches. A request that arrives while
 * `concurrency` batches are being served waits for the next batch, which takes
 * every request waiting by then (up to `maxBatch`). At idle a request is
 * served alone and at once; under load the batches grow with the queue, and no
 * timer ever adds latency.
 *
 * A batch that fails is served again one request at a time, so one bad
 * request fails alone instead of failing its neighbours.
 */
export interface CoalescerOptions {
  /** Most requests served by one call. */
  maxBatch: number;
  /** Most batches served at once (for a database: connections it may hold). */
  concurrency: number;
}

/** Serves a batch: one result per request, in the requests' order. */
export type BatchServer<Request, Result> = (requests: Request[]) => Promise<Result[]>;

interface Waiting<Request, Result> {
  request: Request;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

export class RequestCoalescer<Request, Result> {
  private readonly waiting: Waiting<Request, Result>[] = [];
  private serving = 0;

  constructor(
    private readonly serveBatch: BatchServer<Request, Result>,
    private readonly options: CoalescerOptions,
  ) {
    if (options.maxBatch < 1 || options.concurrency < 1) throw new Error("a coalescer needs maxBatch and concurrency of at least 1");
  }

  request(request: Request): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.waiting.push({ request, resolve, reject });
      this.startBatches();
    });
  }

  private startBatches(): void {
    while (this.serving < this.options.concurrency && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.options.maxBatch);
      this.serving++;
      void this.serve(batch).finally(() => {
        this.serving--;
        this.startBatches();
      });
    }
  }

  private async serve(batch: Waiting<Request, Result>[]): Promise<void> {
    let results: Result[];
    try {
      results = await this.serveBatch(batch.map((w) => w.request));
      if (results.length !== batch.length) throw new Error(`a batch of ${batch.length} requests was answered with ${results.length} results`);
    } catch (error) {
      if (batch.length === 1) batch[0].reject(error);
      else await Promise.all(batch.map((w) => this.serve([w])));
      return;
    }
    batch.forEach((w, i) => w.resolve(results[i]));
  }
}
