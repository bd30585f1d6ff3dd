/**
 * Who may do what in the running stack's Kafka: nobody without a login, and
 * each service only what its grants allow. Every refusal here comes from the
 * broker itself (SASL or the authorizer), so nothing is written anywhere.
 */
import { type AclEntry, AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, type KafkaConfig, ResourcePatternTypes, logLevel } from "kafkajs";
import { KAFKA_SASL_MECHANISM, kafkaBrokers } from "../../../lib/environment";
import { kafkaPassword } from "../../../stack/kafka-access";

const SERVICES = ["account", "api", "ops", "orchestrator", "order", "payment", "product", "purchase"];
const COMMAND_TOPICS = ["product.commands", "order.commands", "payment.commands"];

function client(login: KafkaConfig["sasl"] | undefined): Kafka {
  return new Kafka({
    clientId: "itest-access",
    brokers: kafkaBrokers(),
    sasl: login,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 5_000,
    authenticationTimeout: 5_000,
    requestTimeout: 10_000,
    retry: { retries: 0 },
  });
}

const loginAs = (principal: string, password = kafkaPassword(principal)): KafkaConfig["sasl"] => ({
  mechanism: KAFKA_SASL_MECHANISM,
  username: principal,
  password,
});

interface WrappedError {
  type?: string;
  name?: string;
  message?: string;
  cause?: unknown;
  originalError?: unknown;
  errors?: unknown[];
}

/** The error and those it wraps (kafkajs wraps a protocol error in retry and aggregate errors), as "name type: message" lines. */
function reasons(error: unknown): string {
  const e = error as WrappedError;
  const inner = [e.cause, e.originalError, ...(e.errors ?? [])].filter((x) => x !== undefined);
  return [`${e.name ?? ""} ${e.type ?? ""}: ${e.message ?? String(error)}`, ...inner.map(reasons)].join("\n");
}

/** What `work` was refused with, every wrapped error included; fails the test when it was allowed. */
async function refusal(work: () => Promise<unknown>): Promise<string> {
  try {
    await work();
  } catch (error) {
    return reasons(error);
  }
  throw new Error(`allowed: ${work.toString()}`);
}

async function withAdmin<T>(kafka: Kafka, work: (admin: ReturnType<Kafka["admin"]>) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

async function produce(kafka: Kafka, topic: string): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages: [{ key: "forged", value: JSON.stringify({ type: "PaymentCompleted" }) }] });
  } finally {
    await producer.disconnect();
  }
}

/** Whether `principal` may see `topic` at all (ListOffsets needs DESCRIBE, which READ and WRITE imply). */
async function canDescribe(principal: string, topic: string): Promise<boolean> {
  return withAdmin(client(loginAs(principal)), (admin) => admin.fetchTopicOffsets(topic)).then(
    () => true,
    (error: { type?: string }) => {
      if (error.type === "TOPIC_AUTHORIZATION_FAILED") return false;
      throw error;
    },
  );
}

describe("Kafka's logins", () => {
  it("refuses a client that does not log in", async () => {
    // The broker closes a connection that skips the SASL handshake.
    expect(await refusal(() => withAdmin(client(undefined), (admin) => admin.listTopics()))).toMatch(/KafkaJSConnectionClosedError/);
  });

  it("refuses a wrong password, and a PLAIN login (the controller listener's) on the clients' listener", async () => {
    expect(await refusal(() => withAdmin(client(loginAs("payment", "not-the-password")), (admin) => admin.listTopics()))).toMatch(
      /KafkaJSSASLAuthenticationError/,
    );
    expect(
      await refusal(() => withAdmin(client({ mechanism: "plain", username: "broker", password: kafkaPassword("broker") }), (admin) => admin.listTopics())),
    ).toMatch(/UNSUPPORTED_SASL_MECHANISM/);
  });

  it("lets each service log in as itself", async () => {
    for (const service of SERVICES) {
      await expect(withAdmin(client(loginAs(service)), async () => true)).resolves.toBe(true);
    }
  });
});

describe("what a service's principal may not do", () => {
  it.each(SERVICES.filter((s) => s !== "ops"))("%s cannot write saga.replies, purchase.events or a command topic", async (service) => {
    for (const topic of ["saga.replies", "purchase.events", "purchase.results", ...COMMAND_TOPICS]) {
      expect(await refusal(() => produce(client(loginAs(service)), topic))).toMatch(/TOPIC_AUTHORIZATION_FAILED/);
    }
  });

  it("a service cannot read another's topic, under its own group name or another's", async () => {
    const payment = client(loginAs("payment"));
    for (const groupId of ["payment:saga.replies", "orchestrator:saga.replies"]) {
      const consumer = payment.consumer({ groupId });
      try {
        const refused = await refusal(async () => {
          await consumer.connect();
          await consumer.subscribe({ topic: "saga.replies", fromBeginning: true });
          await new Promise<void>((resolve, reject) => {
            consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
            consumer.on(consumer.events.GROUP_JOIN, () => resolve());
            consumer.run({ eachMessage: async () => undefined }).catch(reject);
          });
        });
        expect(refused).toMatch(/(GROUP|TOPIC)_AUTHORIZATION_FAILED/);
      } finally {
        await consumer.disconnect();
      }
    }
  });

  it("cannot create or delete a topic, nor grant itself more", async () => {
    const order = client(loginAs("order"));
    expect(await refusal(() => withAdmin(order, (admin) => admin.createTopics({ topics: [{ topic: `itest.forged-${Date.now()}` }] })))).toMatch(
      /AUTHORIZATION_FAILED/,
    );
    expect(await refusal(() => withAdmin(order, (admin) => admin.deleteTopics({ topics: ["saga.replies"] })))).toMatch(/AUTHORIZATION_FAILED/);
    const grant: AclEntry = {
      resourceType: AclResourceTypes.TOPIC,
      resourceName: "saga.replies",
      resourcePatternType: ResourcePatternTypes.LITERAL,
      principal: "User:order",
      host: "*",
      operation: AclOperationTypes.WRITE,
      permissionType: AclPermissionTypes.ALLOW,
    };
    expect(await refusal(() => withAdmin(order, (admin) => admin.createAcls({ acl: [grant] })))).toMatch(/CLUSTER_AUTHORIZATION_FAILED/);
  });
});

describe("which topics each principal can see", () => {
  // Expected from the saga's design (who reads what), not from stack/kafka-access.ts: the broker must agree with it.
  const visible: Record<string, string[]> = {
    account: [],
    api: [],
    product: ["product.commands", "product.events", "product.commands.dead-letter", "product.events.dead-letter"],
    order: ["order.commands", "order.commands.dead-letter"],
    payment: ["payment.commands", "account.events", "payment.commands.dead-letter", "account.events.dead-letter"],
    purchase: ["purchase.results", "purchase.results.dead-letter"],
    orchestrator: ["saga.replies", "purchase.events", "saga.replies.dead-letter", "purchase.events.dead-letter", ...COMMAND_TOPICS],
  };
  const topics = ["account.events", "product.events", "purchase.events", "purchase.results", "saga.replies", ...COMMAND_TOPICS];

  it.each(Object.keys(visible))("%s sees exactly its own topics", async (principal) => {
    const seen: string[] = [];
    for (const topic of [...topics, ...topics.map((t) => `${t}.dead-letter`)]) if (await canDescribe(principal, topic)) seen.push(topic);
    expect(seen.sort()).toEqual([...visible[principal]].sort());
  });

  it("ops sees every topic (the dashboard's lag and dead letters)", async () => {
    for (const topic of topics) expect(await canDescribe("ops", topic)).toBe(true);
  });
});
