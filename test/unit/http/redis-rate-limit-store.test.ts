import { redisRateLimitStore } from "../../../lib/http/redis-rate-limit-store";

const clientAnswering = (evalResult: () => Promise<unknown>) => ({ eval: evalResult });

describe("redisRateLimitStore", () => {
  it("counts in a window keyed by client and window, and says when the window resets", async () => {
    const calls: unknown[][] = [];
    const Store = redisRateLimitStore({ eval: async (...args: unknown[]) => (calls.push(args), 3) }, "limit");
    const store = new Store(60_000);
    await expect(store.inc("10.0.0.1")).resolves.toBe(3);
    const window = Math.floor(Date.now() / 60_000);
    expect(calls[0].slice(1)).toEqual([1, `limit:{10.0.0.1}:${window}`, "60000"]);
    expect(store.resetTime).toBe((window + 1) * 60_000);
  });

  it("refuses with a retryable 503 when Redis does not answer, rather than a 500 or an uncounted request", async () => {
    const Store = redisRateLimitStore(
      clientAnswering(() => Promise.reject(new Error("Command timed out"))),
      "limit",
    );
    await expect(new Store(60_000).inc("10.0.0.1")).rejects.toMatchObject({ code: 503, type: "SERVICE_UNAVAILABLE", retryable: true });
  });
});
