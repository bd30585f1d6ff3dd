/**
 * The stack's topics as `stack up` (and compose's kafka-access job) leaves
 * them: every topic and its dead-letter topic keep messages for their named
 * retention, and a topic whose retention was changed by hand is set back.
 */
import { type Admin, ConfigResourceTypes, Kafka, logLevel } from "kafkajs";
import { TOPICS } from "../../../contracts/topics";
import { kafkaConnection } from "../../../lib/environment";
import { deadLetterTopic } from "../../../mixins/idempotent-channel";
import { TOPIC_RETENTION_MS, ensureTopics } from "../../../stack/topics";

let admin: Admin;

beforeAll(async () => {
  admin = new Kafka({ clientId: "itest-topics", ...kafkaConnection(), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
});

afterAll(() => admin.disconnect());

async function retentionOf(topics: string[]): Promise<Map<string, string | undefined>> {
  const { resources } = await admin.describeConfigs({
    resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ["retention.ms"] })),
    includeSynonyms: false,
  });
  return new Map(resources.map((r) => [r.resourceName, r.configEntries.find((e) => e.configName === "retention.ms")?.configValue]));
}

test("every topic keeps messages for its named retention, dead letters longer", async () => {
  const topics = Object.keys(TOPICS);
  const retention = await retentionOf([...topics, ...topics.map(deadLetterTopic)]);
  for (const topic of topics) {
    expect([topic, retention.get(topic)]).toEqual([topic, String(TOPIC_RETENTION_MS.messages)]);
    expect([topic, retention.get(deadLetterTopic(topic))]).toEqual([topic, String(TOPIC_RETENTION_MS.deadLetters)]);
  }
  expect(TOPIC_RETENTION_MS.deadLetters).toBeGreaterThan(TOPIC_RETENTION_MS.messages);
});

test("a retention changed by hand is set back by the next ensureTopics", async () => {
  const topic = deadLetterTopic(Object.keys(TOPICS)[0]);
  await admin.alterConfigs({
    validateOnly: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: "retention.ms", value: "3600000" }] }],
  });
  expect((await retentionOf([topic])).get(topic)).toBe("3600000");

  await ensureTopics();

  expect((await retentionOf([topic])).get(topic)).toBe(String(TOPIC_RETENTION_MS.deadLetters));
});
