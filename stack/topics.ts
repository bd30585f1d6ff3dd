/** Creates the system's topics and their dead-letter topics; existing ones are left as they are. */
import { Kafka, logLevel } from "kafkajs";
import { TOPICS } from "../contracts/topics";
import { kafkaBrokers } from "../lib/environment";
import { deadLetterTopic } from "../mixins/idempotent-channel";
import { progress } from "./processes";

export async function ensureTopics(): Promise<void> {
  const admin = new Kafka({ clientId: "stack", brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
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
  } finally {
    await admin.disconnect();
  }
}
