import { ThroughputSampler } from "../../../services/ops/throughput";

const totals = (entries: [string, number, number][]) => new Map(entries.map(([node, completed, failed]) => [node, { completed, failed }]));

describe("ThroughputSampler", () => {
  it("turns each node's counters into sagas per second over the interval, summed across nodes", () => {
    const sampler = new ThroughputSampler(5, 10);
    sampler.record(
      totals([
        ["a", 100, 3],
        ["b", 50, 0],
      ]),
    );
    sampler.record(
      totals([
        ["a", 150, 3],
        ["b", 75, 5],
      ]),
    );
    expect(sampler.series()).toEqual({ intervalSeconds: 5, completed: [0, 15], failed: [0, 1] });
  });

  it("counts a node first seen as a baseline, not as a burst", () => {
    const sampler = new ThroughputSampler(1, 10);
    sampler.record(totals([["a", 10, 0]]));
    sampler.record(
      totals([
        ["a", 12, 0],
        ["b", 9_000, 40],
      ]),
    );
    expect(sampler.series().completed).toEqual([0, 2]);
    expect(sampler.series().failed).toEqual([0, 0]);
  });

  it("takes a counter that went down as a restarted node whose whole count is new", () => {
    const sampler = new ThroughputSampler(2, 10);
    sampler.record(totals([["a", 500, 10]]));
    sampler.record(totals([["a", 6, 2]]));
    expect(sampler.series()).toMatchObject({ completed: [0, 3], failed: [0, 1] });
  });

  it("forgets a node that is gone, so its return starts a new baseline", () => {
    const sampler = new ThroughputSampler(1, 10);
    sampler.record(totals([["a", 5, 0]]));
    sampler.record(totals([]));
    sampler.record(totals([["a", 50, 0]]));
    expect(sampler.series().completed).toEqual([0, 0, 0]);
  });

  it("keeps only the latest samples", () => {
    const sampler = new ThroughputSampler(1, 3);
    for (let n = 0; n <= 5; n += 1) sampler.record(totals([["a", n * 10, 0]]));
    expect(sampler.series().completed).toEqual([10, 10, 10]);
  });
});
