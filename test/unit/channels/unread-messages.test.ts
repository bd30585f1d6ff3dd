import { partitionEnds, readPositions, unread } from "../../../lib/channels/unread-messages";

describe("unread messages", () => {
  const partitions = [
    { partition: 0, low: "0", high: "10" },
    { partition: 1, low: "4", high: "9" },
  ];
  const lag = (committed: { partition: number; offset: string }[]) => unread(partitionEnds(partitions), readPositions(partitions, committed));

  it("sums, per partition, the messages from the committed offset to the end", () => {
    expect(
      lag([
        { partition: 0, offset: "7" },
        { partition: 1, offset: "9" },
      ]),
    ).toBe(3n);
  });

  it("counts a partition with nothing committed from its start, not from zero", () => {
    expect(
      lag([
        { partition: 0, offset: "10" },
        { partition: 1, offset: "-1" },
      ]),
    ).toBe(5n);
    expect(lag([])).toBe(15n);
  });

  it("never counts below zero (a commit past a truncated end)", () => {
    expect(
      lag([
        { partition: 0, offset: "12" },
        { partition: 1, offset: "9" },
      ]),
    ).toBe(0n);
  });
});
