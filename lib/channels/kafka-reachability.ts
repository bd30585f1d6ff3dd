/** Whether a Kafka broker answers a metadata request, asked with a short-lived admin client and no retries. */
import { Kafka, logLevel } from "kafkajs";
import type { KafkaConnection } from "../environment";

export async function kafkaAnswers(kafka: KafkaConnection, timeoutMs = 3_000): Promise<boolean> {
  const admin = new Kafka({
    clientId: "reachability",
    ...kafka,
    logLevel: logLevel.NOTHING,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    return (await admin.describeCluster()).brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
