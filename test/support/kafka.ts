/** Direct Kafka access for tests: create topics, publish raw records, read a topic. */
import { Kafka, type KafkaMessage, type IHeaders, logLevel } from "kafkajs";
import { kafkaBrokers } from "../../lib/environment";

export const kafka = new Kafka({ clientId: "itest", brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });

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
