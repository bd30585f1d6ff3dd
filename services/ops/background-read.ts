/**
 * A slow read served from its latest outcome: the caller gets what the last
 * read found at once, and a new read starts in the background once that is
 * older than `freshMs`. Only the first caller waits, and every caller after
 * a read failed gets the failure (with when it was read) until one succeeds.
 * Nothing runs while nobody asks.
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

  /** The latest outcome; the first call waits for the first read. */
  async get(): Promise<ReadOutcome<T>> {
    if (!this.latest || this.now() - this.latest.at > this.freshMs) {
      const reading = this.reading ?? this.start();
      if (!this.latest) return reading;
    }
    return this.latest;
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
