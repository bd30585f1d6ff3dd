/**
 * One Kafka 3.9 broker in KRaft mode (broker and controller in one process),
 * with SASL/SCRAM logins and ACLs (stack/kafka-access.ts). The SCRAM
 * credentials are written when the storage is formatted; a principal added
 * later (a new service) or whose password changed is set through Kafka's
 * config tool, as the admin.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type Admin, Kafka, type KafkaConfig, logLevel } from "kafkajs";
import { KAFKA_SASL_MECHANISM, LOCAL_STACK } from "../../lib/environment";
import { KAFKA_ADMIN, KAFKA_BROKER, SUPER_USERS, javaClientLogin, kafkaPassword, scramPrincipals } from "../kafka-access";
import { kafkaDir } from "../layout";
import { ensureKafkaAcls } from "../topics";
import { assertPortsFree, progress, run, waitFor } from "../processes";
import { serviceNames } from "../services";
import { JvmProcess, ensureJars, kafkaClasspath, writeProperties } from "./jars";
import type { PartStatus, StackPart } from "./part";

const PART = "kafka";
const { kafkaPort: port, kafkaControllerPort: controllerPort } = LOCAL_STACK;
const dataDir = path.join(kafkaDir, "data");
/** Written once the storage is formatted with the SCRAM credentials: storage formatted before them is formatted anew. */
const scramMarker = path.join(kafkaDir, "scram-formatted");
const broker = new JvmProcess(PART, kafkaDir, "kafka.Kafka", { name: "kafka", properties: "server.properties" });

function brokerProperties(): Record<string, string | number> {
  return {
    "process.roles": "broker,controller",
    "node.id": 1,
    "controller.quorum.voters": `1@127.0.0.1:${controllerPort}`,
    listeners: `CLIENTS://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    "advertised.listeners": `CLIENTS://127.0.0.1:${port}`,
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "CLIENTS",
    "listener.security.protocol.map": "CONTROLLER:SASL_PLAINTEXT,CLIENTS:SASL_PLAINTEXT",
    // Clients (and the broker itself) log in with SCRAM; the controller listener takes PLAIN, as KRaft controllers cannot check SCRAM.
    "listener.name.clients.sasl.enabled.mechanisms": "SCRAM-SHA-512",
    "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
    "listener.name.clients.scram-sha-512.sasl.jaas.config": javaClientLogin(KAFKA_BROKER)["sasl.jaas.config"],
    "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
    "sasl.mechanism.controller.protocol": "PLAIN",
    "listener.name.controller.plain.sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required username="${KAFKA_BROKER}" password="${kafkaPassword(KAFKA_BROKER)}" user_${KAFKA_BROKER}="${kafkaPassword(KAFKA_BROKER)}";`,
    // Deny by default: a principal does only what an ACL allows.
    "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
    "allow.everyone.if.no.acl.found": "false",
    "super.users": SUPER_USERS.map((user) => `User:${user}`).join(";"),
    "log.dirs": dataDir,
    "num.partitions": 3,
    "auto.create.topics.enable": "true",
    // One node: every internal topic has a single replica.
    "offsets.topic.replication.factor": 1,
    "offsets.topic.num.partitions": 10,
    "transaction.state.log.replication.factor": 1,
    "transaction.state.log.min.isr": 1,
    "share.coordinator.state.topic.replication.factor": 1,
    "group.initial.rebalance.delay.ms": 0,
    "log.retention.hours": 168,
  };
}

function client(principal: string): Kafka {
  const login: KafkaConfig["sasl"] = { mechanism: KAFKA_SASL_MECHANISM, username: principal, password: kafkaPassword(principal) };
  return new Kafka({ clientId: "stack", brokers: [`127.0.0.1:${port}`], sasl: login, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
}

async function withAdmin<T>(work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = client(KAFKA_ADMIN).admin();
  try {
    await admin.connect();
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

const brokerAnswers = () => withAdmin(async (admin) => (await admin.describeCluster()).brokers.length > 0);

async function canLogIn(principal: string): Promise<boolean> {
  const admin = client(principal).admin();
  try {
    await admin.connect();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Sets, as the admin, the SCRAM login of each principal that cannot log in: one added after the storage was formatted, or given a new password. */
async function ensureLogins(): Promise<void> {
  const principals = scramPrincipals(serviceNames()).filter((p) => p !== KAFKA_ADMIN);
  const missing = (await Promise.all(principals.map(async (p) => ((await canLogIn(p)) ? [] : [p])))).flat();
  if (missing.length === 0) return;
  progress(PART, `setting the logins of ${missing.join(", ")}`);
  const adminLogin = path.join(kafkaDir, "admin-client.properties");
  writeProperties(adminLogin, javaClientLogin(KAFKA_ADMIN));
  for (const principal of missing) {
    // On the command line, briefly: Kafka 3.9's --add-config-file mangles the SCRAM key (SCRAM_SHA_512) and refuses it.
    const credential = `SCRAM-SHA-512=[password=${kafkaPassword(principal)}]`;
    const target = ["--entity-type", "users", "--entity-name", principal];
    await kafkaTool("kafka.admin.ConfigCommand", [
      "--bootstrap-server",
      `127.0.0.1:${port}`,
      "--command-config",
      adminLogin,
      "--alter",
      ...target,
      "--add-config",
      credential,
    ]);
  }
}

/** One of Kafka's own command-line tools, logging as the broker does. */
function kafkaTool(mainClass: string, args: string[]): Promise<string> {
  return run("java", ["-cp", kafkaClasspath, `-Dlog4j.configuration=file:${broker.log4jFile}`, mainClass, ...args]);
}

export const kafka: StackPart = {
  name: PART,
  logFile: broker.logFile,
  async up() {
    if (broker.running()) {
      progress(PART, `already running on 127.0.0.1:${port}`);
    } else {
      await ensureJars();
      await assertPortsFree(PART, [port, controllerPort]);
      broker.configure(brokerProperties());
      if (existsSync(path.join(dataDir, "meta.properties")) && !existsSync(scramMarker)) {
        progress(
          PART,
          "the storage was formatted without logins: formatting it anew (topics and offsets are lost; the outboxes resend what was not delivered)",
        );
        rmSync(dataDir, { recursive: true, force: true });
      }
      mkdirSync(dataDir, { recursive: true });
      if (!existsSync(path.join(dataDir, "meta.properties"))) {
        const clusterId = randomBytes(16).toString("base64url");
        progress(PART, `formatting storage (cluster ${clusterId})`);
        await kafkaTool("kafka.tools.StorageTool", [
          "format",
          // One argument: a base64url id may begin with "-", which the tool would take for an option.
          `--cluster-id=${clusterId}`,
          "-c",
          broker.propertiesFile,
          ...scramPrincipals(serviceNames()).flatMap((principal) => ["--add-scram", `SCRAM-SHA-512=[name=${principal},password=${kafkaPassword(principal)}]`]),
        ]);
        writeFileSync(scramMarker, `${new Date().toISOString()}\n`);
      }
      broker.start();
    }
    await waitFor(PART, `ready on 127.0.0.1:${port}`, brokerAnswers, 90_000, broker.logFile);
    await ensureLogins();
    // Before Connect starts: it may touch only what its ACLs allow. The local stack's tests route replies to private topics.
    await ensureKafkaAcls({ withTestTopics: true });
  },
  down: () => broker.stop(),
  async status(): Promise<PartStatus> {
    if (!broker.running()) return { healthy: false, detail: "not running" };
    return (await brokerAnswers().catch(() => false))
      ? { healthy: true, detail: `broker on 127.0.0.1:${port} (KRaft)` }
      : { healthy: false, detail: "running but not answering" };
  },
};
