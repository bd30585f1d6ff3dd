import { randomUUID } from "node:crypto";
import { MAX_REPLAY_IDS_PER_SIGNAL, replayRowsSignal } from "../../../lib/outbox/outbox-replay";

describe("replay of given outbox rows", () => {
  test("asks for an incremental snapshot of the outbox filtered to those ids", () => {
    const ids = ["0b6f6c1e-4b1a-4c55-9a43-0d2f1f1f8a01", "5d0c7f3a-1e2b-4c3d-8e9f-a0b1c2d3e4f5"];
    const signal = replayRowsSignal(ids);
    expect(signal.type).toBe("execute-snapshot");
    expect(JSON.parse(signal.data)).toEqual({
      "data-collections": ["public.outbox"],
      type: "incremental",
      "additional-conditions": [{ "data-collection": "public.outbox", filter: `id in ('${ids[0]}', '${ids[1]}')` }],
    });
  });

  test("a full signal fits the signal table's data column (2,048 characters)", () => {
    const ids = Array.from({ length: MAX_REPLAY_IDS_PER_SIGNAL }, () => randomUUID());
    expect(replayRowsSignal(ids).data.length).toBeLessThanOrEqual(2_048);
  });

  test.each([
    ["no ids", []],
    ["too many ids", Array.from({ length: MAX_REPLAY_IDS_PER_SIGNAL + 1 }, () => randomUUID())],
    ["an id that is not a UUID", ["1') or (true"]],
  ])("refuses %s", (_, ids) => {
    expect(() => replayRowsSignal(ids)).toThrow(RangeError);
  });
});
