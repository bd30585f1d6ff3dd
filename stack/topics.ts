/**
 * Creates the system's topics and their dead-letter topics, sets each one's
 * retention (TOPIC_RETENTION_MS), and adds
 * partitions to a topic that has fewer than declared (Kafka cannot remove
 * any). Adding partitions moves some keys to other partitions: messages in
 * flight for such a key may then arrive out of order, which every consumer
 * here tolerates (inbox, saga correlation), but do it when the system is quiet.
 */
import { type Admin, ConfigResourceTypes, Kafka, type KafkaConfig, logLevel } from "kafkajs";
import { TOPICS } from "../contracts/topics";
import { kafkaBrokers, kafkaConnection } from "../lib/environment";
import { deadLetterTopic } from "../mixins/idempotent-channel";
import { kafkaGrants, reconcileKafkaAcls } from "./kafka-access";
import { progress, waitFor } from "./processes";

const DAY_MS = 86_400_000;

/**
 * How long Kafka keeps a message, by kind of topic. Messages are delivered
 * in seconds; what the log holds beyond that is for a consumer that was away
 * and for replays, and the outbox (7 days) can re-publish anything younger.
 * Dead letters wait for an operator, who may first look after a holiday.
 */
export const TOPIC_RETENTION_MS = { messages: 7 * DAY_MS, deadLetters: 28 * DAY_MS } as const;

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
    const retention = (ms: number) => [{ name: "retention.ms", value: String(ms) }];
    const wanted = Object.entries(TOPICS).flatMap(([topic, partitions]) => [
      { topic, numPartitions: partitions, configEntries: retention(TOPIC_RETENTION_MS.messages) },
      { topic: deadLetterTopic(topic), numPartitions: 1, configEntries: retention(TOPIC_RETENTION_MS.deadLetters) },
    ]);
    const missing = wanted.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) {
      await admin.createTopics({ topics: missing, waitForLeaders: true });
      progress("kafka", `created topics ${missing.map((t) => t.topic).join(", ")}`);
    }
    await ensureRetention(
      admin,
      wanted.filter((t) => existing.has(t.topic)),
    );
    const present = wanted.filter((t) => existing.has(t.topic));
    const { topics } = await admin.fetchTopicMetadata({ topics: present.map((t) => t.topic) });
    const short = present.filter((t) => (topics.find((m) => m.name === t.topic)?.partitions.length ?? 0) < t.numPartitions);
    if (short.length > 0) {
      await admin.createPartitions({ topicPartitions: short.map((t) => ({ topic: t.topic, count: t.numPartitions })) });
      progress("kafka", `added partitions to ${short.map((t) => `${t.topic} (${t.numPartitions})`).join(", ")}`);
    }
  });
}

/**
 * Topics made before their retention was set, or with another: set to
 * theirs. kafkajs alters a topic's whole set of overrides, and retention is
 * the only one these topics have.
 */
async function ensureRetention(admin: Admin, topics: { topic: string; configEntries: { name: string; value: string }[] }[]): Promise<void> {
  if (topics.length === 0) return;
  const { resources } = await admin.describeConfigs({
    resources: topics.map((t) => ({ type: ConfigResourceTypes.TOPIC, name: t.topic, configNames: ["retention.ms"] })),
    includeSynonyms: false,
  });
  const current = new Map(resources.map((r) => [r.resourceName, r.configEntries.find((e) => e.configName === "retention.ms")?.configValue]));
  const differing = topics.filter((t) => current.get(t.topic) !== t.configEntries[0].value);
  if (differing.length === 0) return;
  await admin.alterConfigs({
    validateOnly: false,
    resources: differing.map((t) => ({ type: ConfigResourceTypes.TOPIC, name: t.topic, configEntries: t.configEntries })),
  });
  progress("kafka", `set the retention of ${differing.map((t) => t.topic).join(", ")}`);
}
