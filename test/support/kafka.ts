/** Direct Kafka access for tests: create topics, publish raw records, read a topic. */
import { AssignerProtocol, Kafka, type KafkaMessage, type IHeaders, logLevel } from "kafkajs";
import { kafkaConnection } from "../../lib/environment";

export const kafka = new Kafka({ clientId: "itest", ...kafkaConnection(), logLevel: logLevel.NOTHING });

export async function createTopics(topics: string[], numPartitions = 3): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions })), waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

export async function publishRaw(topic: string, messages: { key: string | Buffer | null; value: string | Buffer | null; headers?: IHeaders }[]): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
}

/** Collects every record of a topic from the beginning until stopped. */
export async function collectTopic(topic: string): Promise<{ records: KafkaMessage[]; stop: () => Promise<void> }> {
  const records: KafkaMessage[] = [];
  const consumer = kafka.consumer({ groupId: `itest-reader-${topic}-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void records.push(message) });
  return { records, stop: () => consumer.disconnect() };
}

export function headerValue(message: KafkaMessage, name: string): string | undefined {
  const value = message.headers?.[name];
  return (Array.isArray(value) ? value[0] : value)?.toString();
}

/** Every record with `key` on these topics, read from the beginning up to each partition's current end. */
export async function recordsWithKey(topics: string[], key: string): Promise<{ topic: string; message: KafkaMessage }[]> {
  const found: { topic: string; message: KafkaMessage }[] = [];
  for (const topic of topics) {
    const reader = await collectTopic(topic);
    try {
      const ends = await topicEnds(topic);
      const total = [...ends.values()].reduce((a, b) => a + b, 0);
      await waitUntilCount(() => reader.records.length >= total);
      found.push(...reader.records.filter((r) => r.key?.toString() === key).map((message) => ({ topic, message })));
    } finally {
      await reader.stop();
    }
  }
  return found;
}

async function topicEnds(topic: string): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, Number(o.high) - Number(o.low)]));
  } finally {
    await admin.disconnect();
  }
}

/** True once consumer group `groupId` has committed every record of `topic` written so far. */
export async function groupCaughtUp(groupId: string, topic: string): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
    // A partition the group never committed on (-1) is caught up only if it holds nothing to read (high = low).
    return ends.every((end) => {
      const offset = Number(committed.partitions.find((p) => p.partition === end.partition)?.offset ?? -1);
      return (offset < 0 ? Number(end.low) : offset) >= Number(end.high);
    });
  } finally {
    await admin.disconnect();
  }
}

/** True once consumer group `groupId` is stable with at least `members` members, each assigned a partition or more. */
export async function groupSharedBy(groupId: string, members: number): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const {
      groups: [group],
    } = await admin.describeGroups([groupId]);
    const assigned = group.members.filter((m) => {
      const decoded = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
      return decoded !== null && Object.values(decoded.assignment).some((partitions) => partitions.length > 0);
    });
    return group.state === "Stable" && assigned.length >= members;
  } finally {
    await admin.disconnect();
  }
}

async function waitUntilCount(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("timed out reading a topic to its end");
    await new Promise((r) => setTimeout(r, 25));
  }
}
