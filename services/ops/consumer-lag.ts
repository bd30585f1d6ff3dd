/**
 * How far behind each consumer group is: per group and topic, the messages
 * between what it has committed and the end of each partition. Groups made
 * by operator tools are left out.
 */
import type { Admin } from "kafkajs";

export interface ConsumerLag {
  group: string;
  topic: string;
  messages: number;
}

/** A group's committed offset per partition ("-1": none yet) and the partitions' ends, as Kafka answers them. */
export interface PartitionOffsets {
  committed: ReadonlyMap<number, string>;
  ends: readonly { partition: number; high: string; low: string }[];
}

/** Messages not yet consumed: from the committed offset (or the partition's start, when nothing is committed) to its end. */
export function lagOf({ committed, ends }: PartitionOffsets): number {
  return ends.reduce((sum, end) => {
    const at = Number(committed.get(end.partition) ?? "-1");
    const from = at < 0 ? Number(end.low) : at;
    return sum + Math.max(0, Number(end.high) - from);
  }, 0);
}

const OPERATOR_GROUP = /^operator-/;

export async function consumerLag(admin: Admin): Promise<ConsumerLag[]> {
  const { groups } = await admin.listGroups();
  const lags: ConsumerLag[] = [];
  const ends = new Map<string, PartitionOffsets["ends"]>();
  for (const { groupId } of groups.filter((g) => g.protocolType === "consumer" && !OPERATOR_GROUP.test(g.groupId))) {
    for (const { topic, partitions } of await admin.fetchOffsets({ groupId })) {
      if (!ends.has(topic)) ends.set(topic, await admin.fetchTopicOffsets(topic));
      const committed = new Map(partitions.map((p) => [p.partition, p.offset]));
      lags.push({ group: groupId, topic, messages: lagOf({ committed, ends: ends.get(topic) ?? [] }) });
    }
  }
  return lags.sort((a, b) => a.group.localeCompare(b.group) || a.topic.localeCompare(b.topic));
}
