import { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context } from "moleculer";
import type { AuthenticatedMeta } from "../../../lib/auth/authenticated-user";
import { MAX_STREAMS_PER_CUSTOMER, PurchaseEventStreams } from "../../../services/api/purchase-event-streams";
import { FakeResponse } from "../../support/fake-response";

/** A purchase that stays RUNNING, whoever asks. */
function contextOf(customerId: string) {
  const ctx = {
    meta: { user: { id: customerId, role: "customer" as const } },
    call: async () => ({ id: "p-1", status: "RUNNING", version: 1 }),
  };
  return ctx as Pick<Context<unknown, AuthenticatedMeta>, "meta" | "call"> as Context<unknown, AuthenticatedMeta>;
}

function open(streams: PurchaseEventStreams, customerId: string) {
  const res = new FakeResponse();
  const done = streams.stream(contextOf(customerId), "p-1", new EventEmitter() as IncomingMessage, res as unknown as ServerResponse);
  return { res, done };
}

afterEach(() => jest.useRealTimers());

test("a stream of a purchase that does not end is closed after the bound", async () => {
  jest.useFakeTimers();
  const streams = new PurchaseEventStreams(60_000);
  const { res, done } = open(streams, "c-1");
  await done;
  expect(res.written[0]).toContain('"status":"RUNNING"');
  jest.advanceTimersByTime(59_999);
  expect(res.writableEnded).toBe(false);
  jest.advanceTimersByTime(1);
  expect(res.writableEnded).toBe(true);
});

test(`a customer holds at most ${MAX_STREAMS_PER_CUSTOMER} streams; a closed one frees its place; others are not counted against them`, async () => {
  const streams = new PurchaseEventStreams();
  const held = Array.from({ length: MAX_STREAMS_PER_CUSTOMER }, () => open(streams, "c-1"));
  await Promise.all(held.map((h) => h.done));
  await expect(open(streams, "c-1").done).rejects.toMatchObject({ code: 429, type: "TOO_MANY_STREAMS" });
  await expect(open(streams, "c-2").done).resolves.toBeUndefined();

  held[0].res.end();
  await expect(open(streams, "c-1").done).resolves.toBeUndefined();
  streams.closeAll();
});
