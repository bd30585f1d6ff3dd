import { BackgroundRead } from "../../../services/ops/background-read";

/** A read whose answers the test gives by hand, one per call, and a clock it sets. */
function scripted() {
  const pending: { resolve: (value: number) => void; reject: (error: Error) => void }[] = [];
  let now = 0;
  const reading = new BackgroundRead<number>(
    () => new Promise<number>((resolve, reject) => pending.push({ resolve, reject })),
    2_000,
    () => now,
  );
  return {
    reading,
    pending,
    setNow: (ms: number) => (now = ms),
    /** Lets the read's promise chain settle. */
    settle: () => new Promise((resolve) => setImmediate(resolve)),
  };
}

describe("BackgroundRead", () => {
  it("makes only the first caller wait; later ones get the latest outcome at once, and a refresh reads again once it is stale", async () => {
    const { reading, pending, setNow, settle } = scripted();
    const first = reading.get();
    expect(pending).toHaveLength(1);
    pending[0].resolve(1);
    expect(await first).toEqual({ at: 0, value: 1 });

    // Fresh: a refresh reads nothing.
    setNow(1_500);
    reading.refresh();
    expect(await reading.get()).toEqual({ at: 0, value: 1 });
    expect(pending).toHaveLength(1);

    // Stale: get() alone starts no read; a refresh starts one, however many ask for one meanwhile.
    setNow(2_500);
    expect(await reading.get()).toEqual({ at: 0, value: 1 });
    expect(pending).toHaveLength(1);
    reading.refresh();
    reading.refresh();
    expect(await reading.get()).toEqual({ at: 0, value: 1 });
    expect(pending).toHaveLength(2);
    pending[1].resolve(2);
    await settle();
    expect(await reading.get()).toEqual({ at: 2_500, value: 2 });
  });

  it("answers a failed read as the failure until a read succeeds", async () => {
    const { reading, pending, setNow, settle } = scripted();
    const first = reading.get();
    pending[0].reject(new Error("Kafka does not answer"));
    expect(await first).toEqual({ at: 0, error: new Error("Kafka does not answer") });

    setNow(3_000);
    reading.refresh();
    expect(await reading.get()).toMatchObject({ at: 0, error: expect.any(Error) });
    pending[1].resolve(7);
    await settle();
    expect(await reading.get()).toEqual({ at: 3_000, value: 7 });
  });

  it("reads nothing while nobody asks", async () => {
    const { reading, pending, setNow, settle } = scripted();
    setNow(60_000);
    expect(pending).toHaveLength(0);
    void reading.get();
    expect(pending).toHaveLength(1);
    pending[0].resolve(1);
    await settle();
    setNow(120_000);
    expect(pending).toHaveLength(1);
  });
});
