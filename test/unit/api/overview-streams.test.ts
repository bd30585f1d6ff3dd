import { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context } from "moleculer";
import type { AuthenticatedMeta } from "../../../lib/auth/authenticated-user";
import { MAX_DASHBOARD_STREAMS, OVERVIEW_EVERY_MS, OverviewStreams, refuseNonOperator } from "../../../services/api/ops-dashboard";
import { FakeResponse } from "../../support/fake-response";

function contextOf(operatorId: string, overview: () => Promise<unknown>) {
  const ctx = { meta: { user: { id: operatorId, role: "admin" } }, call: overview };
  return ctx as Pick<Context<unknown, AuthenticatedMeta>, "meta" | "call"> as Context<unknown, AuthenticatedMeta>;
}

function open(streams: OverviewStreams, operatorId: string, overview: () => Promise<unknown> = async () => ({ at: "now" })) {
  const res = new FakeResponse();
  streams.stream(contextOf(operatorId, overview), new EventEmitter() as IncomingMessage, res as unknown as ServerResponse);
  return res;
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

afterEach(() => jest.useRealTimers());

test("an open dashboard gets the overview at once and again every interval, until the stream's bound", async () => {
  jest.useFakeTimers();
  let n = 0;
  const res = open(new OverviewStreams(10_000), "op-1", async () => ({ n: ++n }));
  await Promise.resolve();
  expect(res.written).toEqual(['event: overview\ndata: {"n":1}\n\n']);
  jest.advanceTimersByTime(OVERVIEW_EVERY_MS);
  await Promise.resolve();
  expect(res.written[1]).toBe('event: overview\ndata: {"n":2}\n\n');
  jest.advanceTimersByTime(10_000);
  expect(res.writableEnded).toBe(true);
});

test("an overview that cannot be read is a problem event, and the stream goes on", async () => {
  const streams = new OverviewStreams();
  const res = open(streams, "op-1", async () => {
    throw new Error("orchestrator unreachable");
  });
  await settle();
  expect(res.written[0]).toBe('event: problem\ndata: {"message":"the overview could not be read: orchestrator unreachable"}\n\n');
  expect(res.writableEnded).toBe(false);
  streams.closeAll();
  expect(res.writableEnded).toBe(true);
});

test(`an operator holds at most ${MAX_DASHBOARD_STREAMS} dashboards; a closed one frees its place`, () => {
  const streams = new OverviewStreams();
  const held = Array.from({ length: MAX_DASHBOARD_STREAMS }, () => open(streams, "op-1"));
  expect(() => open(streams, "op-1")).toThrow(expect.objectContaining({ code: 429, type: "TOO_MANY_STREAMS" }));
  expect(() => open(streams, "op-2")).not.toThrow();
  held[0].end();
  expect(() => open(streams, "op-1")).not.toThrow();
  streams.closeAll();
});

test("only an operator, or no one yet signed in, passes the dashboard's check", () => {
  const as = (user?: { id: string; role: string }) => ({ meta: { user } }) as Context<unknown, AuthenticatedMeta>;
  expect(() => refuseNonOperator(as({ id: "c-1", role: "customer" }))).toThrow(expect.objectContaining({ code: 403, type: "FORBIDDEN" }));
  expect(() => refuseNonOperator(as({ id: "o-1", role: "admin" }))).not.toThrow();
  expect(() => refuseNonOperator(as(undefined))).not.toThrow();
});
