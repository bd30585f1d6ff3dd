/** One Kafka 3.9 broker in KRaft mode (broker and controller in one process). */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { LOCAL_STACK } from "../../lib/environment";
import { kafkaDir } from "../layout";
import { assertPortsFree, progress, run, waitFor } from "../processes";
import { JvmProcess, ensureJars, kafkaClasspath } from "./jars";
import type { PartStatus, StackPart } from "./part";

const PART = "kafka";
const { kafkaPort: port, kafkaControllerPort: controllerPort } = LOCAL_STACK;
const dataDir = path.join(kafkaDir, "data");
const broker = new JvmProcess(PART, kafkaDir, "kafka.Kafka", { name: "kafka", properties: "server.properties" });

function brokerProperties(): Record<string, string | number> {
  return {
    "process.roles": "broker,controller",
    "node.id": 1,
    "controller.quorum.voters": `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    "advertised.listeners": `PLAINTEXT://127.0.0.1:${port}`,
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "PLAINTEXT",
    "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
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

function client(): Kafka {
  return new Kafka({ clientId: "stack", brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
}

async function brokerAnswers(): Promise<boolean> {
  const admin = client().admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } finally {
    await admin.disconnect();
  }
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
      mkdirSync(dataDir, { recursive: true });
      broker.configure(brokerProperties());
      if (!existsSync(path.join(dataDir, "meta.properties"))) {
        const clusterId = randomBytes(16).toString("base64url");
        progress(PART, `formatting storage (cluster ${clusterId})`);
        await run("java", [
          "-cp",
          kafkaClasspath,
          `-Dlog4j.configuration=file:${broker.log4jFile}`,
          "kafka.tools.StorageTool",
          "format",
          // One argument: a base64url id may begin with "-", which the tool would take for an option.
          `--cluster-id=${clusterId}`,
          "-c",
          broker.propertiesFile,
        ]);
      }
      broker.start();
    }
    await waitFor(PART, `ready on 127.0.0.1:${port}`, brokerAnswers, 90_000, broker.logFile);
  },
  down: () => broker.stop(),
  async status(): Promise<PartStatus> {
    if (!broker.running()) return { healthy: false, detail: "not running" };
    return (await brokerAnswers().catch(() => false))
      ? { healthy: true, detail: `broker on 127.0.0.1:${port} (KRaft)` }
      : { healthy: false, detail: "running but not answering" };
  },
};
