/**
 * Dead letters: the messages a consumer could never apply, kept per topic in
 * `<topic>.dead-letter` with the reason. An operator lists them and, once the
 * cause is fixed, requeues one to its original topic; the consumer's inbox
 * makes a requeue of something already applied harmless. Kafka keeps the
 * dead letter where it was; who requeued it, and when, is noted beside it.
 */
import type { Admin, Kafka, KafkaMessage } from "kafkajs";
import { DEAD_LETTER_REASON_HEADER, deadLetterTopic } from "../../mixins/idempotent-channel";

export interface DeadLetter {
  offset: string;
  partition: number;
  key: string | null;
  id: string | null;
  type: string | null;
  reason: string | null;
  originalTopic: string;
  value: string | null;
  headers: Record<string, string>;
}

/** Who requeued a dead letter, and when. */
export interface Requeue {
  by: string;
  at: string;
}

/** Where a dead letter sits: its partition and offset in the dead-letter topic. */
export const letterPosition = (letter: Pick<DeadLetter, "partition" | "offset">) => `${letter.partition}:${letter.offset}`;

// Bookkeeping that dead-lettering added (ours and @moleculer/channels'); a requeued message goes back without it.
const DEAD_LETTER_HEADERS = new Set([
  DEAD_LETTER_REASON_HEADER,
  "x-original-channel",
  "x-original-group",
  "x-original-partition",
  "x-redelivered-count",
  "x-group",
]);

const header = (message: KafkaMessage, name: string) => message.headers?.[name]?.toString() ?? null;

function stringHeaders(message: KafkaMessage): Record<string, string> {
  return Object.fromEntries(
    Object.entries(message.headers ?? {})
      .filter(([, value]) => value != null)
      .map(([name, value]) => [name, value!.toString()]),
  );
}

/** How many dead letters each topic has kept (Kafka's retention decides how long). */
export async function countDeadLetters(admin: Admin, topics: readonly string[]): Promise<Map<string, number>> {
  const counts = await Promise.all(
    topics.map(async (topic) => {
      const partitions = await admin.fetchTopicOffsets(deadLetterTopic(topic));
      return [topic, partitions.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0)] as const;
    }),
  );
  return new Map(counts);
}

/** The throwaway groups that list dead letters begin with this (Kafka's ACLs let the operator's principal use them). */
export const DEAD_LETTER_READER_GROUP_PREFIX = "operator-dead-letters-";

/** Every dead letter of `topic`, oldest first. */
export async function listDeadLetters(client: Kafka, topic: string): Promise<DeadLetter[]> {
  const admin = client.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(deadLetterTopic(topic)).finally(() => admin.disconnect());
  const remaining = new Map(ends.filter((e) => Number(e.high) > Number(e.low)).map((e) => [e.partition, Number(e.high)]));
  const letters: DeadLetter[] = [];
  if (remaining.size === 0) return letters;

  // A throwaway group, never committed and deleted afterwards: listing changes nothing and leaves nothing behind.
  const groupId = `${DEAD_LETTER_READER_GROUP_PREFIX}${process.pid}-${Date.now()}`;
  const consumer = client.consumer({ groupId });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: deadLetterTopic(topic), fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            letters.push({
              offset: message.offset,
              partition,
              key: message.key?.toString() ?? null,
              id: header(message, "id"),
              type: header(message, "type"),
              reason: header(message, DEAD_LETTER_REASON_HEADER),
              originalTopic: header(message, "x-original-channel") ?? topic,
              value: message.value?.toString() ?? null,
              headers: stringHeaders(message),
            });
            if (Number(message.offset) + 1 >= (remaining.get(partition) ?? 0)) remaining.delete(partition);
            if (remaining.size === 0) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
    await deleteGroup(client, groupId);
  }
  return letters.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
}

async function deleteGroup(client: Kafka, groupId: string): Promise<void> {
  const admin = client.admin();
  await admin.connect();
  try {
    await admin.deleteGroups([groupId]);
  } finally {
    await admin.disconnect();
  }
}

/** Publishes the dead letter again to its original topic, as it was (without the reason). */
export async function requeueDeadLetter(client: Kafka, letter: DeadLetter): Promise<void> {
  const headers = Object.fromEntries(Object.entries(letter.headers).filter(([name]) => !DEAD_LETTER_HEADERS.has(name)));
  const producer = client.producer();
  await producer.connect();
  try {
    await producer.send({ topic: letter.originalTopic, messages: [{ key: letter.key, value: letter.value, headers }] });
  } finally {
    await producer.disconnect();
  }
}
