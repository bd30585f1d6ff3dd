/**
 * patches/kafkajs+2.2.4.patch: kafkajs 2.2.4's request queue re-armed a 1 ms
 * timer for ever once a connection had sent anything, so an idle service woke
 * about a thousand times a second per broker connection. These tests fail on
 * the unpatched file, and tell whoever upgrades kafkajs whether the patch is
 * still needed.
 */
// kafkajs declares no types for its internals: the shape used here is declared below.
const RequestQueue: RequestQueueClass = require("kafkajs/src/network/requestQueue");

interface PushedRequest {
  entry: { correlationId: number; apiKey: number; apiName: string; apiVersion: number; resolve: () => void; reject: () => void };
  expectResponse: boolean;
  sendRequest: () => void;
}
interface RequestQueueInstance {
  push(request: PushedRequest): void;
  maybeThrottle(ms: number): void;
  fulfillRequest(response: { correlationId: number; payload: Buffer; size: number }): void;
  destroy(): void;
}
type RequestQueueClass = new (options: Record<string, unknown>) => RequestQueueInstance;

const quietLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function newQueue(): RequestQueueInstance {
  return new RequestQueue({
    maxInFlightRequests: null,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: "test",
    broker: "b:9092",
    logger: quietLogger,
  });
}

function request(correlationId: number, sent: number[]): PushedRequest {
  return {
    entry: { correlationId, apiKey: 3, apiName: "Metadata", apiVersion: 6, resolve: () => undefined, reject: () => undefined },
    expectResponse: true,
    sendRequest: () => sent.push(correlationId),
  };
}

describe("kafkajs request queue (patched)", () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it("leaves no timer behind once a request has been answered and nothing waits", () => {
    const queue = newQueue();
    const sent: number[] = [];
    queue.push(request(1, sent));
    queue.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });

    expect(sent).toEqual([1]);
    expect(jest.getTimerCount()).toBe(0);
    // Unpatched, the timer fires and re-arms itself: an idle minute is 60,000 wake-ups.
    jest.advanceTimersByTime(1_000);
    expect(jest.getTimerCount()).toBe(0);
    queue.destroy();
  });

  it("still sends a request held back by a client-side throttle once the throttle ends", () => {
    const queue = newQueue();
    const sent: number[] = [];
    queue.maybeThrottle(500);
    queue.push(request(2, sent));
    expect(sent).toEqual([]);
    expect(jest.getTimerCount()).toBe(1);

    jest.advanceTimersByTime(499);
    expect(sent).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(sent).toEqual([2]);
    expect(jest.getTimerCount()).toBe(0);
    queue.destroy();
  });
});
