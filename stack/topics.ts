/**
 * Creates the system's topics and their dead-letter topics, and adds
 * partitions to a topic that has fewer than declared (Kafka cannot remove
 * any). Adding partitions moves some keys to other partitions: messages in
 * flight for such a key may then arrive out of order, which every consumer
 * here tolerates (inbox, saga correlation), but do it when the system is quiet.
 */
import { type Admin, Kafka, type KafkaConfig, logLevel } from "kafkajs";
import { TOPICS } from "../contracts/topics";
import { kafkaBrokers, kafkaConnection } from "../lib/environment";
import { deadLetterTopic } from "../mixins/idempotent-channel";
import { kafkaGrants, reconcileKafkaAcls } from "./kafka-access";
import { progress, waitFor } from "./processes";

/** Work with an admin client of this process's Kafka login (the admin's, under the stack tool), connected for it and closed after. */
async function withKafkaAdmin<T>(work: (admin: Admin) => Promise<T>, options: Pick<KafkaConfig, "retry"> = {}): Promise<T> {
  const admin = new Kafka({ clientId: "stack", ...kafkaConnection(), logLevel: logLevel.NOTHING, ...options }).admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/** For a Kafka this tool did not start (compose): waits until it answers a metadata request. */
export function waitForKafka(timeoutMs: number): Promise<void> {
  const answers = () => withKafkaAdmin(async (admin) => (await admin.listTopics(), true), { retry: { retries: 0 } });
  return waitFor("kafka", `answering on ${kafkaBrokers().join(",")}`, answers, timeoutMs);
}

/** Makes the broker's ACLs those of stack/kafka-access.ts. */
export function ensureKafkaAcls(options: { withTestTopics: boolean }): Promise<void> {
  return withKafkaAdmin((admin) => reconcileKafkaAcls(admin, kafkaGrants(options)));
}

export function ensureTopics(): Promise<void> {
  return withKafkaAdmin(async (admin) => {
    const existing = new Set(await admin.listTopics());
    const wanted = Object.entries(TOPICS).flatMap(([topic, partitions]) => [
      { topic, numPartitions: partitions },
      { topic: deadLetterTopic(topic), numPartitions: 1 },
    ]);
    const missing = wanted.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) {
      await admin.createTopics({ topics: missing, waitForLeaders: true });
      progress("kafka", `created topics ${missing.map((t) => t.topic).join(", ")}`);
    }
    const present = wanted.filter((t) => existing.has(t.topic));
    const { topics } = await admin.fetchTopicMetadata({ topics: present.map((t) => t.topic) });
    const short = present.filter((t) => (topics.find((m) => m.name === t.topic)?.partitions.length ?? 0) < t.numPartitions);
    if (short.length > 0) {
      await admin.createPartitions({ topicPartitions: short.map((t) => ({ topic: t.topic, count: t.numPartitions })) });
      progress("kafka", `added partitions to ${short.map((t) => `${t.topic} (${t.numPartitions})`).join(", ")}`);
    }
  });
}
