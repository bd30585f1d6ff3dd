/**
 * Who may do what in Kafka. The broker authenticates every client with
 * SCRAM-SHA-512 and authorizes with the KRaft StandardAuthorizer, deny by
 * default: a principal may do only what a grant below allows.
 *
 * - `connect` (Debezium) is the only writer of the saga and event topics: the
 *   outbox is the one way a message enters them. It owns its internal topics
 *   and Debezium's heartbeat topics.
 * - Each service reads the topics TOPIC_READERS gives it, with its own groups,
 *   and writes the dead-letter topics of what it reads. No service writes a
 *   saga topic.
 * - The orchestrator may also look at its participants' groups (how far they
 *   have read: its deadline probe).
 * - `ops` (the dashboard) looks at every topic and group, reads the dead
 *   letters and requeues one onto its original topic, on an operator's order.
 * - `admin` (the stack tool, tests, benchmarks) and `broker` (the broker's
 *   own connections, to itself and to its KRaft controller) are super users.
 *   On the controller's listener `broker` logs in with PLAIN, as KRaft
 *   controllers do not take SCRAM; that listener serves no client.
 */
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, type Admin, type AclEntry, type AclFilter, ResourcePatternTypes } from "kafkajs";
import { TOPICS, TOPIC_READERS, type Topic } from "../contracts/topics";
import { consumerGroupId } from "../lib/channels/kafka-batch-adapter";
import { deadLetterTopic } from "../mixins/idempotent-channel";
import { DEAD_LETTER_READER_GROUP_PREFIX } from "../services/ops/dead-letters";
import { installationSecret } from "./installation-secret";
import { progress } from "./processes";

export const KAFKA_ADMIN = "admin";
export const KAFKA_BROKER = "broker";
export const KAFKA_CONNECT = "connect";
/** Kafka Connect's worker group; its internal topics begin with CONNECT_TOPIC_PREFIX. */
export const CONNECT_GROUP = "saga-connect";
export const CONNECT_TOPIC_PREFIX = "_connect-";
/** Debezium's heartbeat topics: `<prefix>.<database>`. */
const HEARTBEAT_TOPIC_PREFIX = "__debezium-heartbeat.";
/** The integration tests' private topics (local stack only): a participant's replies routed there by aggregatetype go through Connect. */
export const TEST_TOPIC_PREFIX = "itest.";

export const SUPER_USERS = [KAFKA_ADMIN, KAFKA_BROKER];

export const kafkaPassword = (principal: string) => installationSecret(`kafka-${principal}-password`);

export type KafkaOperation = "read" | "write" | "create" | "delete" | "describe" | "all";

export interface KafkaGrant {
  principal: string;
  resource: "topic" | "group" | "cluster";
  /** A name, `*` for every one, or with `prefixed` every name that begins with it. */
  name: string;
  prefixed?: boolean;
  operations: KafkaOperation[];
}

const topicNames = Object.keys(TOPICS) as Topic[];

/** What each service's principal may do: the topics it reads, its groups, its dead letters. */
function readerGrants(): KafkaGrant[] {
  return topicNames.flatMap((topic) =>
    TOPIC_READERS[topic].flatMap(({ service, consumer }): KafkaGrant[] => [
      { principal: service, resource: "topic", name: topic, operations: ["read"] },
      { principal: service, resource: "group", name: consumerGroupId(consumer, topic), operations: ["read"] },
      { principal: service, resource: "topic", name: deadLetterTopic(topic), operations: ["write"] },
    ]),
  );
}

/** The orchestrator's deadline probe reads how far the participants have read their command topics. */
function deliveryProbeGrants(): KafkaGrant[] {
  const commandTopics = topicNames.filter((topic) => topic.endsWith(".commands"));
  return commandTopics.flatMap((topic) => [
    { principal: "orchestrator", resource: "topic", name: topic, operations: ["describe"] },
    ...TOPIC_READERS[topic].map(({ consumer }): KafkaGrant => ({
      principal: "orchestrator",
      resource: "group",
      name: consumerGroupId(consumer, topic),
      operations: ["describe"],
    })),
  ]);
}

function operatorGrants(): KafkaGrant[] {
  return [
    { principal: "ops", resource: "cluster", name: "kafka-cluster", operations: ["describe"] },
    { principal: "ops", resource: "topic", name: "*", operations: ["describe"] },
    { principal: "ops", resource: "group", name: "*", operations: ["describe"] },
    { principal: "ops", resource: "group", name: DEAD_LETTER_READER_GROUP_PREFIX, prefixed: true, operations: ["read", "delete"] },
    ...topicNames.flatMap((topic): KafkaGrant[] => [
      { principal: "ops", resource: "topic", name: deadLetterTopic(topic), operations: ["read"] },
      // The requeue: a dead letter goes back onto its own topic, on an operator's order.
      { principal: "ops", resource: "topic", name: topic, operations: ["write"] },
    ]),
  ];
}

function connectGrants(withTestTopics: boolean): KafkaGrant[] {
  return [
    ...topicNames.map((topic): KafkaGrant => ({ principal: KAFKA_CONNECT, resource: "topic", name: topic, operations: ["write"] })),
    { principal: KAFKA_CONNECT, resource: "topic", name: HEARTBEAT_TOPIC_PREFIX, prefixed: true, operations: ["create", "write"] },
    { principal: KAFKA_CONNECT, resource: "topic", name: CONNECT_TOPIC_PREFIX, prefixed: true, operations: ["all"] },
    { principal: KAFKA_CONNECT, resource: "group", name: CONNECT_GROUP, operations: ["read"] },
    ...(withTestTopics
      ? [{ principal: KAFKA_CONNECT, resource: "topic", name: TEST_TOPIC_PREFIX, prefixed: true, operations: ["create", "write"] } satisfies KafkaGrant]
      : []),
  ];
}

/** Every grant; `withTestTopics` for the local stack, whose integration tests route replies to private topics. */
export function kafkaGrants(options: { withTestTopics: boolean }): KafkaGrant[] {
  return [...connectGrants(options.withTestTopics), ...readerGrants(), ...deliveryProbeGrants(), ...operatorGrants()];
}

/** The principals that log in with SCRAM: the super users, Connect, and one per service. */
export const scramPrincipals = (services: readonly string[]) => [KAFKA_ADMIN, KAFKA_BROKER, KAFKA_CONNECT, ...services];

const OPERATIONS: Record<KafkaOperation, AclOperationTypes> = {
  read: AclOperationTypes.READ,
  write: AclOperationTypes.WRITE,
  create: AclOperationTypes.CREATE,
  delete: AclOperationTypes.DELETE,
  describe: AclOperationTypes.DESCRIBE,
  all: AclOperationTypes.ALL,
};
const RESOURCES = { topic: AclResourceTypes.TOPIC, group: AclResourceTypes.GROUP, cluster: AclResourceTypes.CLUSTER } as const;

function aclEntries(grant: KafkaGrant): AclEntry[] {
  return grant.operations.map((operation) => ({
    resourceType: RESOURCES[grant.resource],
    resourceName: grant.name,
    resourcePatternType: grant.prefixed ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
    principal: `User:${grant.principal}`,
    host: "*",
    operation: OPERATIONS[operation],
    permissionType: AclPermissionTypes.ALLOW,
  }));
}

const aclKey = (acl: AclEntry) =>
  [acl.resourceType, acl.resourceName, acl.resourcePatternType, acl.principal, acl.host, acl.operation, acl.permissionType].join("|");

/** Makes the broker's ACLs exactly the grants: adds what is missing and removes what no grant asks for. */
export async function reconcileKafkaAcls(admin: Admin, grants: readonly KafkaGrant[]): Promise<void> {
  const wanted = new Map(grants.flatMap(aclEntries).map((acl) => [aclKey(acl), acl]));
  const any: AclFilter = {
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  };
  const { resources } = await admin.describeAcls(any);
  const existing = resources.flatMap(({ acls, ...resource }) => acls.map((acl): AclEntry => ({ ...resource, ...acl })));
  const present = new Set(existing.map(aclKey));
  const missing = [...wanted.values()].filter((acl) => !present.has(aclKey(acl)));
  const extra = existing.filter((acl) => !wanted.has(aclKey(acl)));
  if (missing.length > 0) await admin.createAcls({ acl: missing });
  if (extra.length > 0) await admin.deleteAcls({ filters: extra });
  if (missing.length + extra.length > 0) progress("kafka", `ACLs: ${missing.length} added, ${extra.length} removed (${wanted.size} in all)`);
}

/** The settings a Java client (Connect, Kafka's own tools) logs in with as `principal`, each key after `prefix`. */
export function javaClientLogin(principal: string, prefix = ""): Record<string, string> {
  return {
    [`${prefix}security.protocol`]: "SASL_PLAINTEXT",
    [`${prefix}sasl.mechanism`]: "SCRAM-SHA-512",
    [`${prefix}sasl.jaas.config`]: `org.apache.kafka.common.security.scram.ScramLoginModule required username="${principal}" password="${kafkaPassword(principal)}";`,
  };
}
