import { randomBytes } from "node:crypto";
import type { ServiceSchema } from "moleculer";
import { TOPICS, TOPIC_READERS, type Topic } from "../../../contracts/topics";
import { consumerGroupId } from "../../../lib/channels/kafka-batch-adapter";
import { deadLetterTopic } from "../../../mixins/idempotent-channel";
import { KAFKA_CONNECT, TEST_TOPIC_PREFIX, kafkaGrants, type KafkaGrant } from "../../../stack/kafka-access";

const topics = Object.keys(TOPICS) as Topic[];
const grants = kafkaGrants({ withTestTopics: false });
const allows = (principal: string, resource: KafkaGrant["resource"], name: string, operation: KafkaGrant["operations"][number]) =>
  grants.some(
    (g) =>
      g.principal === principal &&
      g.resource === resource &&
      (g.name === "*" || (g.prefixed ? name.startsWith(g.name) : g.name === name)) &&
      (g.operations.includes(operation) || g.operations.includes("all")),
  );

describe("Kafka's grants", () => {
  it("let Connect alone write the saga and event topics, besides the operator's requeue", () => {
    for (const topic of topics) {
      const writers = [...new Set(grants.filter((g) => g.resource === "topic" && allows(g.principal, "topic", topic, "write")).map((g) => g.principal))];
      expect(writers.sort()).toEqual([KAFKA_CONNECT, "ops"]);
    }
  });

  it("give each reader its topic, its group and the topic's dead letters, and no other service the topic", () => {
    for (const topic of topics) {
      for (const { service, consumer } of TOPIC_READERS[topic]) {
        expect(allows(service, "topic", topic, "read")).toBe(true);
        expect(allows(service, "group", consumerGroupId(consumer, topic), "read")).toBe(true);
        expect(allows(service, "topic", deadLetterTopic(topic), "write")).toBe(true);
      }
      const readers = new Set(TOPIC_READERS[topic].map((r) => r.service));
      const others = ["account", "api", "order", "payment", "product", "purchase", "orchestrator"].filter((s) => !readers.has(s));
      for (const other of others) expect(allows(other, "topic", topic, "read")).toBe(false);
    }
  });

  it("let Connect write the integration tests' private topics only when asked (the local stack, not compose)", () => {
    const topic = `${TEST_TOPIC_PREFIX}replies`;
    expect(allows(KAFKA_CONNECT, "topic", topic, "write")).toBe(false);
    expect(kafkaGrants({ withTestTopics: true }).some((g) => g.principal === KAFKA_CONNECT && g.prefixed && topic.startsWith(g.name))).toBe(true);
  });
});

/** The channels each service declares: consumer group and topic, as the adapter names them. */
function declaredGroups(schema: ServiceSchema): { service: string; topic: string; group: string }[] {
  const channels = (schema.channels ?? {}) as Record<string, { group?: string }>;
  return Object.entries(channels).map(([topic, channel]) => ({ service: schema.name, topic, group: consumerGroupId(channel.group ?? schema.name, topic) }));
}

describe("TOPIC_READERS", () => {
  it("names exactly the channels the services declare, so the ACLs let each one read what it consumes", async () => {
    // Building the gateway's schema reads its signing key; any will do here.
    process.env.JWT_SECRET ??= randomBytes(48).toString("base64url");
    const schemas: ServiceSchema[] = await Promise.all(
      ["account", "api", "ops", "orchestrator", "order", "payment", "product", "purchase"].map(async (name) => {
        const loaded = (await import(`../../../services/${name}/${name}.service`)) as { default: ServiceSchema };
        return loaded.default;
      }),
    );
    const declared = schemas.flatMap(declaredGroups).sort((a, b) => a.group.localeCompare(b.group));
    const listed = topics
      .flatMap((topic) => TOPIC_READERS[topic].map(({ service, consumer }) => ({ service, topic, group: consumerGroupId(consumer, topic) })))
      .sort((a, b) => a.group.localeCompare(b.group));
    expect(declared).toEqual(listed);
  });
});
