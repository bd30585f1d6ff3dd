/**
 * A slow read served from its latest outcome: the caller gets what the last
 * read found at once, and once done with its own work asks for a refresh,
 * which starts a new read if that outcome is older than `freshMs`: the read
 * then runs between callers, not on the event loop beside one. Only the
 * first caller waits, and every caller after a read failed gets the failure
 * (with when it was read) until one succeeds. Nothing runs while nobody asks.
 */
export type ReadOutcome<T> = { at: number; value: T } | { at: number; error: Error };

export class BackgroundRead<T> {
  private latest: ReadOutcome<T> | undefined;
  private reading: Promise<ReadOutcome<T>> | undefined;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly freshMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The latest outcome, starting no read but the first, which the first call waits for. */
  async get(): Promise<ReadOutcome<T>> {
    return this.latest ?? this.reading ?? this.start();
  }

  /** Starts a read if the latest outcome is older than `freshMs` and none is under way. */
  refresh(): void {
    if (this.reading || (this.latest && this.now() - this.latest.at <= this.freshMs)) return;
    void this.start();
  }

  private start(): Promise<ReadOutcome<T>> {
    const at = this.now();
    this.reading = this.read()
      .then(
        (value): ReadOutcome<T> => ({ at, value }),
        (error: unknown): ReadOutcome<T> => ({ at, error: error instanceof Error ? error : new Error(String(error)) }),
      )
      .then((outcome) => {
        this.latest = outcome;
        this.reading = undefined;
        return outcome;
      });
    return this.reading;
  }
}
