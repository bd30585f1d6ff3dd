import { lagOf } from "../../../services/ops/consumer-lag";

describe("lagOf", () => {
  const ends = [
    { partition: 0, low: "0", high: "10" },
    { partition: 1, low: "4", high: "9" },
  ];

  it("sums, per partition, the messages from the committed offset to the end", () => {
    expect(
      lagOf({
        committed: new Map([
          [0, "7"],
          [1, "9"],
        ]),
        ends,
      }),
    ).toBe(3);
  });

  it("counts a partition with nothing committed from its start, not from zero", () => {
    expect(
      lagOf({
        committed: new Map([
          [0, "10"],
          [1, "-1"],
        ]),
        ends,
      }),
    ).toBe(5);
    expect(lagOf({ committed: new Map(), ends })).toBe(15);
  });

  it("never counts below zero (a commit past a truncated end)", () => {
    expect(
      lagOf({
        committed: new Map([
          [0, "12"],
          [1, "9"],
        ]),
        ends,
      }),
    ).toBe(0);
  });
});
