import { RequestCoalescer } from "../../../lib/batching/request-coalescer";

/** A batch server whose batches finish only when the test says so. */
function heldServer() {
  const batches: { requests: number[]; finish(): void }[] = [];
  const serve = (requests: number[]) =>
    new Promise<number[]>((resolve, reject) => {
      const finish = () => (requests.includes(-1) ? reject(new Error("bad request -1")) : resolve(requests.map((r) => r * 10)));
      batches.push({ requests, finish });
    });
  return { batches, serve };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("RequestCoalescer", () => {
  it("serves a request at once when nothing else is being served", async () => {
    const server = heldServer();
    const coalescer = new RequestCoalescer(server.serve, { maxBatch: 10, concurrency: 1 });
    const answer = coalescer.request(7);
    expect(server.batches.map((b) => b.requests)).toEqual([[7]]);
    server.batches[0].finish();
    await expect(answer).resolves.toBe(70);
  });

  it("gathers the requests that arrive while a batch is served into the next batch, up to maxBatch", async () => {
    const server = heldServer();
    const coalescer = new RequestCoalescer(server.serve, { maxBatch: 3, concurrency: 1 });
    const answers = [1, 2, 3, 4, 5, 6].map((n) => coalescer.request(n));
    expect(server.batches.map((b) => b.requests)).toEqual([[1]]);
    server.batches[0].finish();
    await settle();
    expect(server.batches.map((b) => b.requests)).toEqual([[1], [2, 3, 4]]);
    server.batches[1].finish();
    await settle();
    server.batches[2].finish();
    await expect(Promise.all(answers)).resolves.toEqual([10, 20, 30, 40, 50, 60]);
    expect(server.batches.map((b) => b.requests)).toEqual([[1], [2, 3, 4], [5, 6]]);
  });

  it("serves up to `concurrency` batches at once", () => {
    const server = heldServer();
    const coalescer = new RequestCoalescer(server.serve, { maxBatch: 10, concurrency: 2 });
    for (const n of [1, 2, 3, 4]) void coalescer.request(n);
    expect(server.batches.map((b) => b.requests)).toEqual([[1], [2]]);
  });

  it("serves a failed batch again one request at a time, so only the bad request fails", async () => {
    const server = heldServer();
    const coalescer = new RequestCoalescer(server.serve, { maxBatch: 10, concurrency: 1 });
    const first = coalescer.request(1);
    const rest = [2, -1, 3].map((n) =>
      coalescer.request(n).then(
        (r) => ({ ok: r }),
        (e: Error) => ({ error: e.message }),
      ),
    );
    server.batches[0].finish();
    await first;
    await settle();
    server.batches[1].finish();
    await settle();
    for (const batch of server.batches.slice(2)) batch.finish();
    await expect(Promise.all(rest)).resolves.toEqual([{ ok: 20 }, { error: "bad request -1" }, { ok: 30 }]);
    expect(server.batches.map((b) => b.requests)).toEqual([[1], [2, -1, 3], [2], [-1], [3]]);
  });

  it("refuses a batch answered with the wrong number of results", async () => {
    const coalescer = new RequestCoalescer(async () => [1], { maxBatch: 10, concurrency: 1 });
    await expect(coalescer.request(1)).resolves.toBe(1);
    const short = new RequestCoalescer<number, number>(async (requests) => requests.slice(1), { maxBatch: 10, concurrency: 1 });
    await expect(short.request(1)).rejects.toThrow("a batch of 1 requests was answered with 0 results");
  });
});
