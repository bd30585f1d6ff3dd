/**
 * How far behind each consumer group is: per group and topic, the messages
 * between where it will read next and the end of each partition. Groups made
 * by operator tools are left out.
 */
import type { Admin } from "kafkajs";
import { partitionEnds, readPositions, unread, type PartitionOffsets } from "../../lib/channels/unread-messages";

export interface ConsumerLag {
  group: string;
  topic: string;
  messages: number;
}

const OPERATOR_GROUP = /^operator-/;

export async function consumerLag(admin: Admin): Promise<ConsumerLag[]> {
  const { groups } = await admin.listGroups();
  const consumers = groups.filter((g) => g.protocolType === "consumer" && !OPERATOR_GROUP.test(g.groupId)).map((g) => g.groupId);
  const committed = await Promise.all(consumers.map(async (group) => ({ group, topics: await admin.fetchOffsets({ groupId: group }) })));
  // Each topic's offsets once, however many groups read it.
  const topics = [...new Set(committed.flatMap((c) => c.topics.map((t) => t.topic)))];
  const offsets = new Map<string, PartitionOffsets[]>(await Promise.all(topics.map(async (topic) => [topic, await admin.fetchTopicOffsets(topic)] as const)));
  return committed
    .flatMap(({ group, topics: read }) =>
      read.map(({ topic, partitions }) => {
        const partitionsOfTopic = offsets.get(topic) ?? [];
        return { group, topic, messages: Number(unread(partitionEnds(partitionsOfTopic), readPositions(partitionsOfTopic, partitions))) };
      }),
    )
    .sort((a, b) => a.group.localeCompare(b.group) || a.topic.localeCompare(b.topic));
}
