/**
 * Faults to inject into the running system (stack and services, as `npm start`
 * or `npm test` runs them) and how each is healed. Healing is what operations
 * would rely on, not a hand-made repair: a killed service comes back through
 * the supervisor (we wait for its pid file to name a new live process and for
 * that process to log that its services started), a killed stack part through the stack
 * tool's own `up()`.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { ServiceBroker } from "moleculer";
import { LOCAL_STACK, SERVICE_DATABASES, type ServiceDatabase } from "../../lib/environment";
import { connectDir, kafkaDir, redisDir, repoRoot, servicesDir } from "../../stack/layout";
import { kafka } from "../../stack/parts/kafka";
import { kafkaConnect } from "../../stack/parts/kafka-connect";
import type { StackPart } from "../../stack/parts/part";
import { postgres } from "../../stack/parts/postgres";
import { redisCli, redisCluster } from "../../stack/parts/redis-cluster";
import { ownedPid, run } from "../../stack/processes";
import { serviceLogFile, serviceNames } from "../../stack/services";
import PaymentService from "../../services/payment/payment.service";
import { channelBatchCounter, startBroker } from "./broker";
import { baseUrl } from "./http";
import { waitUntil } from "./wait";

export interface Fault {
  name: string;
  /** One line for the table's legend. */
  description: string;
  /** Breaks something; resolves once the fault is in place. */
  inject(): Promise<void>;
  /** Resolves once the broken part is back and answering; called right after inject(). */
  heal(): Promise<void>;
}

const STACK_PARTS: StackPart[] = [postgres, redisCluster, kafka, kafkaConnect];
/** Restarts on a loaded 2-core machine: a JVM, a tsx-compiled service, a consumer group rejoining. */
const HEAL_BUDGET_MS = 180_000;
const FREEZE_MS = 15_000;
const FREEZE_PAST_SESSION_MS = 45_000;

/** Every stack part healthy (connectors RUNNING included) and the gateway ready: the state a sale starts from. */
export async function waitForHealthySystem(timeoutMs = HEAL_BUDGET_MS): Promise<void> {
  await waitUntil("every stack part to be healthy", () => partsHealthy(STACK_PARTS), timeoutMs, 1_000);
  await waitUntil("the gateway to be ready", async () => (await fetch(`${baseUrl()}/ready`)).ok, timeoutMs, 500);
}

/** Throws the first unhealthy part's status, so a timed-out wait says what was wrong. */
async function partsHealthy(parts: StackPart[]): Promise<boolean> {
  for (const part of parts) {
    const status = await part.status();
    if (!status.healthy) throw new Error(`${part.name}: ${status.detail}`);
  }
  return true;
}

function livePid(pidFile: string, marker: string): number {
  const pid = ownedPid(pidFile, marker);
  if (pid === undefined) throw new Error(`no live process in ${pidFile}`);
  return pid;
}

/**
 * What a service's broker logs once its services have started (channels
 * subscribed) and it has announced them on the transporter. Read from the
 * log the supervisor keeps: a registry observer of our own on the Redis
 * transporter made ioredis reject an unheld promise when it disconnected,
 * which failed a test whose sale had gone perfectly.
 */
const BROKER_STARTED = /ServiceBroker with \d+ service\(s\) started successfully/;

/**
 * A signal to one service's process, then the supervisor's replacement up:
 * a new live pid in its pid file, and that process logging that its
 * services started. SIGKILL is a crash; SIGTERM is how a deploy stops it.
 */
function replaceService(service: string, signal: NodeJS.Signals): Pick<Fault, "inject" | "heal"> {
  const pidFile = path.join(servicesDir, `${service}.pid`);
  const logFile = serviceLogFile(service);
  const marker = `${service}.service`;
  let stopped: { pid: number; logOffset: number } | undefined;
  return {
    async inject() {
      const pid = livePid(pidFile, marker);
      // Only what the log gains from here on tells about the restart.
      const logOffset = existsSync(logFile) ? statSync(logFile).size : 0;
      process.kill(pid, signal);
      stopped = { pid, logOffset };
    },
    async heal() {
      if (!stopped) throw new Error(`${service} was not stopped`);
      const { pid, logOffset } = stopped;
      stopped = undefined;
      await waitUntil(
        `the supervisor to restart ${service} (a new live pid in ${pidFile})`,
        () => {
          const now = ownedPid(pidFile, marker);
          return now !== undefined && now !== pid;
        },
        HEAL_BUDGET_MS,
        200,
      );
      await waitUntil(
        `the restarted ${service} to start its services (${logFile})`,
        () => BROKER_STARTED.test(readFileSync(logFile).subarray(logOffset).toString("utf8")),
        HEAL_BUDGET_MS,
        250,
      );
    },
  };
}

/** `kill -9` of one service; healed by the supervisor, which restarts it. */
const killService = (service: ServiceDatabase): Fault => ({
  name: `kill-${service}`,
  description: `kill -9 of the ${service} service; the supervisor restarts it`,
  ...replaceService(service, "SIGKILL"),
});

/**
 * A deploy while trading: every service in turn gets SIGTERM (it stops
 * taking work, finishes what it holds, leaves its consumer groups, exits),
 * the supervisor starts it again, and the next goes once it runs.
 */
const rollingRestart: Fault = {
  name: "rolling-restart",
  description: "every service in turn stopped with SIGTERM and started again, the next once it runs",
  inject: async () => undefined,
  async heal() {
    for (const service of serviceNames()) {
      const restart = replaceService(service, "SIGTERM");
      await restart.inject();
      await restart.heal();
    }
  },
};

/** SIGSTOP: the service is alive but answers nothing until the returned function sends SIGCONT. */
export function freezeProcess(service: ServiceDatabase): () => void {
  const pid = livePid(path.join(servicesDir, `${service}.pid`), `${service}.service.ts`);
  process.kill(pid, "SIGSTOP");
  return () => process.kill(pid, "SIGCONT");
}

/** SIGSTOP of Kafka Connect: alive, holding its replication connections, answering nothing until the returned function sends SIGCONT. */
export function freezeConnect(): () => void {
  const pid = livePid(path.join(connectDir, "connect.pid"), "connect-distributed.properties");
  process.kill(pid, "SIGSTOP");
  return () => process.kill(pid, "SIGCONT");
}

/** SIGSTOP for a while, then SIGCONT: a process that is alive but answers nothing (a long GC pause, a stalled VM). */
function freezeService(service: ServiceDatabase, ms: number, name = `freeze-${service}`): Fault {
  let frozen: { thaw: () => void; at: number } | undefined;
  return {
    name,
    description: `the ${service} service frozen (SIGSTOP) for ${ms / 1000} s, then SIGCONT`,
    async inject() {
      frozen = { thaw: freezeProcess(service), at: Date.now() };
    },
    async heal() {
      if (!frozen) throw new Error(`${service} was not frozen`);
      const { thaw, at } = frozen;
      frozen = undefined;
      // The freeze's length is the fault itself, so this one is a timed pause.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, at + ms - Date.now())));
      thaw();
    },
  };
}

/**
 * A second payment service joins the consumer groups of the running one
 * mid-sale, takes a share of the commands and leaves again: two rebalances
 * while commands flow, batches in flight on both sides of each.
 */
function paymentRebalance(): Fault {
  let second: { broker: ServiceBroker; handled: () => number } | undefined;
  return {
    name: "rebalance-payment",
    description: "a second payment service joins the consumer groups mid-sale, takes a share and leaves: two rebalances",
    async inject() {
      const counter = channelBatchCounter();
      const broker = await startBroker([]);
      broker.middlewares.add(counter.middleware);
      broker.createService(PaymentService);
      await broker.waitForServices("payment");
      second = { broker, handled: counter.handled };
    },
    async heal() {
      if (!second) throw new Error("no second payment service was started");
      const { broker, handled } = second;
      second = undefined;
      try {
        await waitUntil("the second payment service to take a share of the commands", () => handled() > 0, HEAL_BUDGET_MS, 250);
      } finally {
        await broker.stop();
      }
    },
  };
}

/** Outbox connectors RUNNING again: the pipeline from every database to Kafka is back. */
async function connectorsRunning(): Promise<void> {
  await waitUntil("Kafka Connect and every outbox connector to be RUNNING", () => partsHealthy([kafkaConnect]), HEAL_BUDGET_MS, 1_000);
}

/** `kill -9` of a JVM part (its pid file names it); healed by the part's own `up()`, then the connectors are waited for. */
function killJvm(name: string, part: StackPart, pidFile: string, marker: string, description: string): Fault {
  return {
    name,
    description,
    async inject() {
      process.kill(livePid(pidFile, marker), "SIGKILL");
    },
    async heal() {
      // Until the old process is gone, up() would take it for running, or find its ports taken.
      await waitUntil(`the killed ${part.name} to be gone`, () => ownedPid(pidFile, marker) === undefined, 30_000, 100);
      await part.up();
      // Connect should ride out a broker restart; up() is a no-op if so, and brings it back if not.
      if (part !== kafkaConnect) await kafkaConnect.up();
      await connectorsRunning();
    },
  };
}

interface ClusterNode {
  id: string;
  port: number;
  flags: string[];
  /** The primary's id, for a replica. */
  primaryId: string;
  slots: string[];
}

/** `CLUSTER NODES` as seen by one node: id, port, flags, its primary, slot ranges. */
async function clusterNodes(port: number): Promise<ClusterNode[]> {
  return (await redisCli(port, "cluster", "nodes"))
    .trim()
    .split("\n")
    .map((line) => {
      const [id, address, flags, primaryId, , , , , ...slots] = line.trim().split(" ");
      return { id, port: Number(address.split("@")[0].split(":")[1]), flags: flags.split(","), primaryId, slots };
    });
}

/** A Redis primary killed; the cluster fails over to its replica, then the stack tool restarts the node (it rejoins as a replica). */
function killRedisPrimary(): Fault {
  let victim: number | undefined;
  const pidFileOf = (port: number) => path.join(redisDir, String(port), "redis.pid");
  return {
    name: "kill-redis-primary",
    description: "kill -9 of a Redis primary; its replica takes over, `stack up` restarts the node",
    async inject() {
      const [seed] = redisLivePorts();
      const primary = (await clusterNodes(seed)).find((n) => n.flags.includes("master") && !n.flags.includes("fail") && n.slots.length > 0);
      if (!primary) throw new Error("no Redis primary with slots found");
      process.kill(livePid(pidFileOf(primary.port), String(primary.port)), "SIGKILL");
      victim = primary.port;
    },
    async heal() {
      if (victim === undefined) throw new Error("no Redis primary was killed");
      const dead = victim;
      victim = undefined;
      await waitUntil(
        `a replica to take over the slots of the primary on ${dead}`,
        async () => {
          const [survivor] = redisLivePorts().filter((p) => p !== dead);
          const info = await redisCli(survivor, "cluster", "info");
          const nodes = await clusterNodes(survivor);
          return info.includes("cluster_state:ok") && nodes.every((n) => n.port !== dead || n.slots.length === 0);
        },
        HEAL_BUDGET_MS,
        250,
      );
      await redisCluster.up();
    },
  };
}

function redisLivePorts(): number[] {
  return LOCAL_STACK.redisPorts.filter((port) => ownedPid(path.join(redisDir, String(port), "redis.pid"), String(port)) !== undefined);
}

/** PostgreSQL stopped in fast mode (open transactions rolled back, clients cut off) and started again by the stack tool. */
function restartPostgres(): Fault {
  return {
    name: "restart-postgres",
    description: "PostgreSQL fast restart (stop -m fast, start); Debezium reconnects",
    inject: () => postgres.down(),
    async heal() {
      await postgres.up();
      await connectorsRunning();
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What an operator runs once they notice: the README's `npm run stack -- up`, as its own process. */
async function operatorStackUp(): Promise<void> {
  await run(process.execPath, [path.join(repoRoot, "node_modules", "tsx", "dist", "cli.mjs"), path.join(repoRoot, "stack", "cli.ts"), "up"], {
    cwd: repoRoot,
    timeoutMs: HEAL_BUDGET_MS,
  });
}

/**
 * An outage that lasts until someone notices: the part is taken down, kept
 * down for `outageMs`, then the operator runs `stack up`, once. Nothing
 * else is done by hand: whatever must recover after that (connectors,
 * slots, sagas in flight) recovers by itself, or the fault shows it.
 */
function longOutage(name: string, what: string, takeDown: () => Promise<void>, outageMs: number): Fault {
  let downAt = 0;
  return {
    name,
    description: `${what} down ${outageMs / 60_000} min, then one \`stack up\``,
    async inject() {
      await takeDown();
      downAt = Date.now();
    },
    async heal() {
      // The outage's length is the fault itself, so this one is a timed pause.
      await sleep(Math.max(0, downAt + outageMs - Date.now()));
      await operatorStackUp();
    },
  };
}

/** `kill -9` of a JVM part named by its pid file. */
function killPart(pidFile: string, marker: string): () => Promise<void> {
  return async () => {
    process.kill(livePid(pidFile, marker), "SIGKILL");
  };
}

/** `kill -9` of a Redis primary that serves slots and of its replica: those slots have no node left until they return. */
async function killRedisPair(): Promise<void> {
  const [seed] = redisLivePorts();
  const nodes = await clusterNodes(seed);
  const primary = nodes.find((n) => n.flags.includes("master") && !n.flags.includes("fail") && n.slots.length > 0);
  const replica = nodes.find((n) => primary && n.primaryId === primary.id);
  if (!primary || !replica) throw new Error("no Redis primary with a replica found");
  for (const node of [replica, primary]) process.kill(livePid(path.join(redisDir, String(node.port), "redis.pid"), String(node.port)), "SIGKILL");
}

/** The control: the same sale with nothing broken, to tell the fault's effect from the machine's load. */
const noFault: Fault = {
  name: "none",
  description: "no fault: the control sale",
  inject: async () => undefined,
  heal: async () => undefined,
};

export const FAULTS: Fault[] = [
  noFault,
  ...SERVICE_DATABASES.map(killService),
  killJvm(
    "kill-connect",
    kafkaConnect,
    path.join(connectDir, "connect.pid"),
    "connect-distributed.properties",
    "kill -9 of Kafka Connect; `stack up` restarts it",
  ),
  killJvm("kill-kafka", kafka, path.join(kafkaDir, "kafka.pid"), "server.properties", "kill -9 of the Kafka broker; `stack up` restarts it"),
  killRedisPrimary(),
  restartPostgres(),
  freezeService("orchestrator", FREEZE_MS),
  // Past the consumers' 10 s Kafka session (CONSUMER_SESSION): the group forgets the frozen consumers, which must re-join when they thaw.
  freezeService("payment", FREEZE_PAST_SESSION_MS),
  paymentRebalance(),
  rollingRestart,
  // Outages that last until someone notices (run `npm start` with STACK_PART_RESTART=off, or its watch ends them sooner).
  longOutage("kafka-down-3m", "Kafka", killPart(path.join(kafkaDir, "kafka.pid"), "server.properties"), 180_000),
  // Past Connect's 5 min heartbeat: the worker revokes its tasks while Kafka is away, and the outbox watch must mend their slots.
  longOutage("kafka-down-6m", "Kafka", killPart(path.join(kafkaDir, "kafka.pid"), "server.properties"), 360_000),
  longOutage("connect-down-3m", "Kafka Connect", killPart(path.join(connectDir, "connect.pid"), "connect-distributed.properties"), 180_000),
  longOutage("postgres-down-2m", "PostgreSQL (fast stop)", () => postgres.down(), 120_000),
  longOutage("redis-pair-down-2m", "a Redis primary and its replica", killRedisPair, 120_000),
  freezeService("payment", 180_000, "freeze-payment-3m"),
];

export function faultNamed(name: string): Fault {
  const fault = FAULTS.find((f) => f.name === name);
  if (!fault) throw new Error(`no fault named ${name}; faults: ${FAULTS.map((f) => f.name).join(", ")}`);
  return fault;
}
