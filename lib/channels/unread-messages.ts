/**
 * How far a consumer group has read a topic, from what Kafka's admin API
 * answers: each partition's offsets and the group's committed ones. Shared by
 * the orchestrator's delivery probe and the operator's consumer-lag view.
 */

/** A partition as `fetchTopicOffsets` answers it: its first offset and the next one to be written. */
export interface PartitionOffsets {
  partition: number;
  low: string;
  high: string;
}

/** Where the group will read next on each partition: its committed offset, or the partition's start where it has committed nothing ("-1"). */
export function readPositions(partitions: readonly PartitionOffsets[], committed: readonly { partition: number; offset: string }[]): Map<number, bigint> {
  const positions = new Map(committed.map((c) => [c.partition, BigInt(c.offset)]));
  for (const { partition, low } of partitions) if ((positions.get(partition) ?? -1n) < 0n) positions.set(partition, BigInt(low));
  return positions;
}

/** Each partition's end (the next offset to be written). */
export const partitionEnds = (partitions: readonly PartitionOffsets[]): Map<number, bigint> => new Map(partitions.map((p) => [p.partition, BigInt(p.high)]));

/** Messages past the group's positions, never counting a partition below zero. */
export function unread(ends: ReadonlyMap<number, bigint>, positions: ReadonlyMap<number, bigint>): bigint {
  let total = 0n;
  for (const [partition, end] of ends) {
    const behind = end - (positions.get(partition) ?? 0n);
    if (behind > 0n) total += behind;
  }
  return total;
}
