import { REPLAY_CHUNK_ROWS, chunksNeeded, replaySignal } from "../../../lib/outbox/outbox-replay";
import { retentionPolicyFromEnv } from "../../../lib/outbox/retention";

describe("retention policy", () => {
  test("defaults keep the inbox twice as long as the outbox", () => {
    expect(retentionPolicyFromEnv({})).toEqual({ outboxDays: 7, inboxDays: 14 });
  });

  test.each([
    [{ OUTBOX_RETENTION_DAYS: "7", INBOX_RETENTION_DAYS: "7" }, /INBOX_RETENTION_DAYS must be an integer of at least 8/],
    [{ OUTBOX_RETENTION_DAYS: "10", INBOX_RETENTION_DAYS: "3" }, /INBOX_RETENTION_DAYS must be an integer of at least 11/],
    [{ OUTBOX_RETENTION_DAYS: "0" }, /OUTBOX_RETENTION_DAYS must be an integer of at least 1/],
    [{ OUTBOX_RETENTION_DAYS: "seven" }, /OUTBOX_RETENTION_DAYS must be an integer/],
  ])("refuses an inbox that could forget ids a replay may still send: %o", (env, message) => {
    expect(() => retentionPolicyFromEnv(env)).toThrow(message);
  });
});

describe("replay signal", () => {
  test("asks for an incremental snapshot of the outbox bounded by created_at", () => {
    const signal = replaySignal({ from: new Date("2026-01-02T03:04:05.000Z"), to: new Date("2026-01-03T00:00:00.000Z") });
    expect(signal.type).toBe("execute-snapshot");
    expect(JSON.parse(signal.data)).toEqual({
      "data-collections": ["public.outbox"],
      type: "incremental",
      "additional-conditions": [
        { "data-collection": "public.outbox", filter: "created_at >= '2026-01-02T03:04:05.000Z' and created_at < '2026-01-03T00:00:00.000Z'" },
      ],
    });
  });

  test("an open-ended range has no upper bound", () => {
    const { data } = replaySignal({ from: new Date("2026-01-02T00:00:00.000Z") });
    expect(JSON.parse(data)["additional-conditions"][0].filter).toBe("created_at >= '2026-01-02T00:00:00.000Z'");
  });
});

describe("replay progress", () => {
  it("takes its chunk size from the connector", () => {
    expect(REPLAY_CHUNK_ROWS).toBe(1024);
  });

  it("needs the full chunks and then one short or empty one", () => {
    expect(chunksNeeded(0)).toBe(1);
    expect(chunksNeeded(REPLAY_CHUNK_ROWS - 1)).toBe(1);
    expect(chunksNeeded(REPLAY_CHUNK_ROWS)).toBe(2);
    expect(chunksNeeded(3 * REPLAY_CHUNK_ROWS + 5)).toBe(4);
  });
});
