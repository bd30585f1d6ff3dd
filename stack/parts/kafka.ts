/** One Kafka 3.9 broker in KRaft mode (broker and controller in one process). */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { LOCAL_STACK } from "../../lib/environment";
import { kafkaDir } from "../layout";
import { assertPortsFree, ownedPid, progress, run, spawnDaemon, stopPid, waitFor } from "../processes";
import { ensureJars, javaArgs, kafkaClasspath, writeLog4jConfig } from "./jars";
import type { PartStatus, StackPart } from "./part";

const PART = "kafka";
const { kafkaPort: port, kafkaControllerPort: controllerPort } = LOCAL_STACK;
const logFile = path.join(kafkaDir, "kafka.log");
const pidFile = path.join(kafkaDir, "kafka.pid");
const propertiesFile = path.join(kafkaDir, "server.properties");
const dataDir = path.join(kafkaDir, "data");

function writeProperties(): void {
  const props: Record<string, string | number> = {
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
  writeFileSync(propertiesFile, Object.entries(props).map(([k, v]) => `${k}=${v}`).join("\n") + "\n");
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
  logFile,
  async up() {
    if (ownedPid(pidFile, propertiesFile)) {
      progress(PART, `already running on 127.0.0.1:${port}`);
    } else {
      await ensureJars();
      await assertPortsFree(PART, [port, controllerPort]);
      mkdirSync(dataDir, { recursive: true });
      writeProperties();
      const log4j = path.join(kafkaDir, "log4j.properties");
      writeLog4jConfig(log4j);
      if (!existsSync(path.join(dataDir, "meta.properties"))) {
        const clusterId = randomBytes(16).toString("base64url");
        progress(PART, `formatting storage (cluster ${clusterId})`);
        await run("java", ["-cp", kafkaClasspath, `-Dlog4j.configuration=file:${log4j}`, "kafka.tools.StorageTool", "format", "-t", clusterId, "-c", propertiesFile]);
      }
      progress(PART, `starting on 127.0.0.1:${port}`);
      spawnDaemon({
        command: "java",
        args: javaArgs("1g", log4j, "kafka.Kafka", propertiesFile),
        logFile,
        pidFile,
        cwd: kafkaDir,
      });
    }
    await waitFor(PART, "ready", brokerAnswers, 90_000, logFile);
  },
  async down() {
    const pid = ownedPid(pidFile, propertiesFile);
    if (pid) {
      progress(PART, "stopping");
      await stopPid(pid, 60_000);
    }
  },
  async status(): Promise<PartStatus> {
    if (!ownedPid(pidFile, propertiesFile)) return { healthy: false, detail: "not running" };
    return (await brokerAnswers().catch(() => false))
      ? { healthy: true, detail: `broker on 127.0.0.1:${port} (KRaft)` }
      : { healthy: false, detail: "running but not answering" };
  },
};
