/** A Kafka Connect worker (distributed mode, one node) with the Debezium PostgreSQL plugin. */
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  LOCAL_STACK,
  SERVICE_DATABASES,
  type ServiceDatabase,
  changeCaptureUrl,
  connectUrl,
  connectorName,
  databaseUrl,
  kafkaConnection,
} from "../../lib/environment";
import knex from "knex";
import { deliveredPosition, judgeOutboxFlow, readOutbox } from "../../lib/outbox/outbox-flow";
import { outboxSlotName } from "../../lib/outbox/outbox-status";
import { outboxPlumbing } from "../../lib/outbox/outbox-watch";
import { readBrokerSettings } from "../../lib/settings/broker-settings";
import { codeRoot, connectDir } from "../layout";
import { StackError, assertPortsFree, progress, waitFor } from "../processes";
import { CONNECT_GROUP, CONNECT_TOPIC_PREFIX, KAFKA_CONNECT, javaClientLogin } from "../kafka-access";
import { JvmProcess, connectPluginPath, ensureJars } from "./jars";
import type { PartStatus, StackPart } from "./part";

const PART = "connect";
const port = LOCAL_STACK.connectPort;
const worker = new JvmProcess(PART, connectDir, "org.apache.kafka.connect.cli.ConnectDistributed", {
  name: "connect",
  properties: "connect-distributed.properties",
});

function workerProperties(): Record<string, string | number> {
  return {
    "bootstrap.servers": `127.0.0.1:${LOCAL_STACK.kafkaPort}`,
    // The worker and the clients it makes for its connectors log in as Connect (stack/kafka-access.ts).
    ...javaClientLogin(KAFKA_CONNECT),
    ...javaClientLogin(KAFKA_CONNECT, "producer."),
    ...javaClientLogin(KAFKA_CONNECT, "consumer."),
    ...javaClientLogin(KAFKA_CONNECT, "admin."),
    "group.id": CONNECT_GROUP,
    "key.converter": "org.apache.kafka.connect.storage.StringConverter",
    "value.converter": "org.apache.kafka.connect.storage.StringConverter",
    "config.storage.topic": `${CONNECT_TOPIC_PREFIX}configs`,
    "offset.storage.topic": `${CONNECT_TOPIC_PREFIX}offsets`,
    "status.storage.topic": `${CONNECT_TOPIC_PREFIX}status`,
    "config.storage.replication.factor": 1,
    "offset.storage.replication.factor": 1,
    "offset.storage.partitions": 5,
    "status.storage.replication.factor": 1,
    "status.storage.partitions": 1,
    // Fewer records re-sent after a crash; consumers dedupe the rest.
    "offset.flush.interval.ms": 1000,
    listeners: `http://127.0.0.1:${port}`,
    "rest.advertised.host.name": "127.0.0.1",
    "rest.advertised.port": port,
    "plugin.path": connectPluginPath,
    // Every plugin here ships ServiceLoader manifests; skipping the reflective scan saves seconds per start.
    "plugin.discovery": "service_load",
    "producer.linger.ms": 0,
    // A worker revokes its tasks once the group coordinator has been unreachable for one heartbeat interval,
    // and a Debezium 3.2 task stopped while Kafka is away keeps its replication slot (lib/outbox/outbox-watch.ts
    // mends that, in a minute or two). A 5 min heartbeat rides out broker outages shorter than that untouched:
    // the tasks keep their slots and resume. With one worker, no other member waits on its heartbeats.
    "heartbeat.interval.ms": 300_000,
    "session.timeout.ms": 900_000,
    // One worker: a killed one's stale membership must not hold its successor's first rebalance for long.
    "rebalance.timeout.ms": 20_000,
  };
}

/** A Connect that hangs (frozen, overloaded) must not hang `status`. */
const REST_TIMEOUT_MS = 5_000;

async function restReady(): Promise<boolean> {
  const res = await fetch(`${connectUrl()}/connectors`, { signal: AbortSignal.timeout(REST_TIMEOUT_MS) });
  return res.ok;
}

/** For a Connect this tool did not start (compose): waits until its REST API answers. */
export function waitForConnectRest(timeoutMs: number): Promise<void> {
  return waitFor(PART, `answering on ${connectUrl()}`, restReady, timeoutMs);
}

/**
 * The connector config for one database, from the template in connect/ and
 * the database's URL (so the same code registers the local stack's connectors
 * and, in compose, those of one Postgres per service).
 */
export function renderConnectorConfig(database: ServiceDatabase): Record<string, string> {
  const template = readFileSync(path.join(codeRoot, "connect", "outbox-connector.json"), "utf8");
  const url = new URL(changeCaptureUrl(database));
  const values: Record<string, string> = {
    database,
    pg_host: url.hostname,
    pg_port: url.port || "5432",
    pg_user: decodeURIComponent(url.username),
    pg_password: decodeURIComponent(url.password),
  };
  return JSON.parse(template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => values[key]));
}

interface ConnectorStatus {
  connector: { state: string };
  tasks: { state: string; trace?: string }[];
}

/** A line on `database`'s outbox when a row has waited past the stall bound; null when it streams. */
async function lateOutbox(database: ServiceDatabase): Promise<string | null> {
  const db = knex({ client: "pg", connection: databaseUrl(database), pool: { min: 0, max: 1 } });
  try {
    const reading = await readOutbox(db, database, await deliveredPosition(connectUrl(), database));
    // One look has no slot history: "not flowing" is as much as it can say.
    const flow = judgeOutboxFlow(undefined, reading, readBrokerSettings().outboxStallAfterMs);
    if (flow.state === "flowing") return null;
    const holder = reading.slotActive ? `slot held by walsender ${reading.slotHolderPid}` : "slot not held by any task";
    return `${database} has ${reading.rowsWaiting} row(s) waiting, the oldest for ${Math.round(flow.oldestWaitMs / 1000)} s (${holder})`;
  } finally {
    await db.destroy();
  }
}

async function connectorStatus(name: string): Promise<ConnectorStatus | undefined> {
  const res = await fetch(`${connectUrl()}/connectors/${name}/status`, { signal: AbortSignal.timeout(REST_TIMEOUT_MS) });
  return res.ok ? ((await res.json()) as ConnectorStatus) : undefined;
}

const isRunning = (s?: ConnectorStatus) => s?.connector.state === "RUNNING" && s.tasks.length > 0 && s.tasks.every((t) => t.state === "RUNNING");

/** How often `up` restarts a connector's FAILED task before it gives up and shows the task's error. */
const MAX_TASK_RESTARTS = 3;

/**
 * A slot Postgres invalidated (it fell behind past max_slot_wal_keep_size)
 * keeps its connector from ever streaming: `up` resets it as the owning
 * service's outbox watch would (lib/outbox/outbox-watch.ts), so a stack
 * whose services are down comes back too.
 */
async function resetIfSlotLost(database: ServiceDatabase): Promise<void> {
  // As Debezium's own role: compose's connectors job holds only those logins, and it may read the outbox and drop its slot.
  const db = knex({ client: "pg", connection: changeCaptureUrl(database), pool: { min: 0, max: 1 } });
  try {
    if (!(await readOutbox(db, database)).slotLost) return;
    progress(
      PART,
      `slot ${outboxSlotName(database)} was lost (it fell behind past max_slot_wal_keep_size): resetting ${connectorName(database)}, which publishes the outbox again`,
    );
    if (!(await outboxPlumbing(db, database, kafkaConnection(), connectUrl()).resetStream())) {
      throw new StackError(`could not reset connector ${connectorName(database)}: Kafka Connect did not go along`);
    }
  } finally {
    await db.destroy();
  }
}

/** PUT is create-or-update, so registering twice is harmless; a FAILED task is restarted. Needs the outbox migrations applied. */
export async function registerConnectors(): Promise<void> {
  for (const database of SERVICE_DATABASES) {
    const name = connectorName(database);
    const res = await fetch(`${connectUrl()}/connectors/${name}/config`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(renderConnectorConfig(database)),
    });
    if (!res.ok) throw new StackError(`connector ${name} rejected: ${res.status} ${await res.text()}`);
  }
  for (const database of SERVICE_DATABASES) await resetIfSlotLost(database);
  for (const database of SERVICE_DATABASES) {
    const name = connectorName(database);
    let restarts = 0;
    await waitFor(
      PART,
      `connector ${name} RUNNING`,
      async () => {
        const status = await connectorStatus(name);
        const failed = status?.tasks.find((t) => t.state === "FAILED");
        if (!failed) return isRunning(status);
        // A task that failed while its database or Kafka was away (Debezium gives up on a start it cannot make) runs once restarted.
        if (restarts >= MAX_TASK_RESTARTS) throw new StackError(`connector ${name} failed: ${failed.trace?.split("\n").slice(0, 3).join("\n")}`);
        restarts += 1;
        progress(PART, `connector ${name} has a FAILED task (${failed.trace?.split("\n")[0]}): restarting it`);
        await fetch(`${connectUrl()}/connectors/${name}/restart?includeTasks=true&onlyFailed=true`, {
          method: "POST",
          signal: AbortSignal.timeout(REST_TIMEOUT_MS),
        });
        return false;
      },
      60_000,
      worker.logFile,
    );
  }
  progress(PART, `connectors running: ${SERVICE_DATABASES.map(connectorName).join(", ")}`);
}

export const kafkaConnect: StackPart = {
  name: PART,
  logFile: worker.logFile,
  async up() {
    if (worker.running()) {
      progress(PART, `already running on 127.0.0.1:${port}`);
    } else {
      await ensureJars();
      await assertPortsFree(PART, [port]);
      worker.configure(workerProperties());
      worker.start();
    }
    await waitFor(PART, `ready on http://127.0.0.1:${port}`, restReady, 120_000, worker.logFile);
  },
  down: () => worker.stop(),
  async status(): Promise<PartStatus> {
    if (!worker.running()) return { healthy: false, detail: "not running" };
    if (!(await restReady().catch(() => false))) return { healthy: false, detail: "running, REST not answering" };
    const states = await Promise.all(SERVICE_DATABASES.map(async (db) => [db, await connectorStatus(connectorName(db)).catch(() => undefined)] as const));
    const notRunning = states.filter(([, s]) => !isRunning(s)).map(([db]) => connectorName(db));
    if (notRunning.length > 0) return { healthy: false, detail: `connectors not running: ${notRunning.join(", ")}` };
    // RUNNING is what Connect believes; whether rows leave each outbox is what Postgres shows.
    const late = (await Promise.all(SERVICE_DATABASES.map(lateOutbox))).filter((line) => line !== null);
    return late.length === 0
      ? { healthy: true, detail: `worker on 127.0.0.1:${port}, ${states.length} outbox connectors RUNNING and streaming` }
      : { healthy: false, detail: `connectors RUNNING but not streaming: ${late.join("; ")}` };
  },
};
