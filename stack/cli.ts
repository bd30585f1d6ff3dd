/**
 * The local stack: `npm run stack -- up|down|reset|status|env|logs [part]`,
 * `npm start` (stack + every service, gateway on :3000), `npm run dev` (one
 * process, hot reload) and `npm test`.
 * `--with prometheus` adds the optional part to `up` and `start`; `npm test`
 * always runs it.
 */
import "../lib/settings/env-file";
import { spawn } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gatewayPort } from "../lib/environment";
import { provisionDatabaseRoles } from "./database-roles";
import {
  codeExtension,
  codeRoot,
  compiled,
  connectDir,
  kafkaDir,
  postgresDataDirFor,
  postgresDir,
  prometheusDir,
  redisDir,
  repoRoot,
  servicesDir,
  stackDir,
  zipkinDir,
} from "./layout";
import { migrateAll } from "./migrate";
import { StackError, assertPortsFree, progress, run, tail } from "./processes";
import { kafka } from "./parts/kafka";
import { kafkaConnect, registerConnectors, waitForConnectRest } from "./parts/kafka-connect";
import type { DaemonPart } from "./parts/daemon-part";
import type { StackPart } from "./parts/part";
import { postgres } from "./parts/postgres";
import { redisCluster } from "./parts/redis-cluster";
import { zipkin } from "./parts/zipkin";
import { prometheus } from "./parts/prometheus";
import { PartWatch } from "./part-watch";
import { runForDevelopment, serviceProcesses, startServices } from "./services";
import { stackEnv, useStackEnv } from "./stack-env";
import { ensureKafkaAcls, ensureTopics, waitForKafka } from "./topics";

const parts: StackPart[] = [postgres, redisCluster, kafka, kafkaConnect, zipkin];
/** Started only when asked for (`--with <name>`); stopped by `down` whenever running. */
const optionalParts: DaemonPart[] = [prometheus];
/** How long `kafka-access` and `connectors` wait for a Kafka or Connect they did not start (compose: Connect's REST API takes tens of seconds). */
const EXTERNAL_PART_BUDGET_MS = 300_000;
const allParts: StackPart[] = [...parts, ...optionalParts];

/** The optional parts named by `--with <name>` among `args`. */
function optionalPartsIn(args: string[]): StackPart[] {
  const named = args.flatMap((arg, i) => (arg === "--with" && args[i + 1] ? args[i + 1].split(",") : []));
  return named.map((name) => {
    const part = optionalParts.find((p) => p.name === name);
    if (!part) throw new StackError(`no optional part named ${name}; optional parts: ${optionalParts.map((p) => p.name).join(", ")}`);
    return part;
  });
}

async function up(optional: StackPart[] = []): Promise<void> {
  const started = Date.now();
  for (const part of parts) await part.up();
  await ensureTopics();
  await provisionDatabaseRoles();
  await migrateAll();
  await registerConnectors();
  for (const part of optional) await part.up();
  progress("stack", `up in ${((Date.now() - started) / 1000).toFixed(1)} s (files in ${stackDir})`);
}

async function down(): Promise<void> {
  for (const part of [...allParts].reverse()) await part.down();
  progress("stack", "down");
}

/**
 * Down, then every part's data gone (databases, topics, Redis, Connect's
 * state, logs): the next `up` starts empty. The downloaded jars and the
 * installation's JWT secret stay.
 */
async function reset(): Promise<void> {
  await down();
  const dataDirs = [postgresDir, postgresDataDirFor(false), redisDir, kafkaDir, connectDir, zipkinDir, prometheusDir, servicesDir];
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  progress("stack", `reset: data removed (${dataDirs.join(", ")}); the next up starts empty`);
}

async function status(): Promise<boolean> {
  let healthy = true;
  // An optional part is reported when it runs; not running it is no fault.
  for (const part of [...parts, ...optionalParts.filter((p) => p.running())]) {
    const s = await part.status().catch((e: Error) => ({ healthy: false, detail: e.message }));
    healthy &&= s.healthy;
    process.stdout.write(`${part.name.padEnd(10)} ${s.healthy ? "healthy  " : "UNHEALTHY"} ${s.detail}\n`);
  }
  // The services are npm start's (or npm test's), not the stack's: their state is reported, not judged.
  process.stdout.write("services (run by npm start or npm test):\n");
  for (const service of serviceProcesses()) {
    process.stdout.write(`  ${service.name.padEnd(13)} ${service.pid ? `running, pid ${service.pid}` : "not running"}; log ${service.logFile}\n`);
  }
  const ready = await fetch(`http://127.0.0.1:${gatewayPort()}/ready`).then(
    async (res) => `${res.status} ${await res.text()}`,
    () => "not answering",
  );
  process.stdout.write(`  gateway /ready: ${ready}\n`);
  return healthy;
}

function logs(partName?: string): void {
  const chosen = partName ? allParts.filter((p) => p.name === partName) : parts;
  if (chosen.length === 0) throw new StackError(`no part named ${partName}; parts: ${allParts.map((p) => p.name).join(", ")}`);
  for (const part of chosen) process.stdout.write(`--- ${part.name} (${part.logFile}) ---\n${tail(part.logFile, 40)}\n`);
}

/** How often `npm start` looks at the stack's parts. */
const PART_WATCH_INTERVAL_MS = 10_000;

async function start(optional: StackPart[]): Promise<void> {
  await up(optional);
  const services = await startServices({ ...process.env, ...stackEnv() }, "inherit");
  const restart = process.env.STACK_PART_RESTART !== "off";
  const watch = new PartWatch([...parts, ...optional], { intervalMs: PART_WATCH_INTERVAL_MS, restart, report: (m) => progress("watch", m) });
  watch.start();
  progress(
    "start",
    `ready: http://127.0.0.1:${gatewayPort()}/api/v1 (a service that exits is restarted; a stack part that fails is said${restart ? " and restarted" : ""}; Ctrl-C stops the services, the stack stays up)`,
  );
  const shutdown = async () => {
    watch.stop();
    await services.stop();
    process.exit(0);
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

async function dev(): Promise<void> {
  if (compiled) throw new StackError("dev runs the TypeScript sources: use `npm run dev` in a checkout, not dist/");
  await up([]);
  await assertPortsFree("gateway", [gatewayPort()]);
  progress("dev", "every service in one process with hot reload and the REPL; Ctrl-C (or `quit`) stops it, the stack stays up");
  const child = runForDevelopment({ ...process.env, ...stackEnv() });
  await new Promise<void>((resolve) => child.once("exit", () => resolve()));
}

/** `npm run repl`: the operator console against the local stack, with the stack's settings (the admin's Kafka and Redis logins among them). */
async function repl(): Promise<void> {
  const consoleFile = path.join(codeRoot, "ops", `operator-console${codeExtension}`);
  const child = spawn(process.execPath, [...(compiled ? [] : ["--import", "tsx"]), consoleFile], {
    cwd: repoRoot,
    env: { ...process.env, ...stackEnv() },
    stdio: "inherit",
  });
  await new Promise<void>((resolve) => child.once("exit", () => resolve()));
}

/** ts-jest only transpiles; the type checker runs once, up front. */
async function typecheck(): Promise<void> {
  const started = Date.now();
  await run(process.execPath, [path.join(repoRoot, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", "tsconfig.json"], { cwd: repoRoot }).catch(
    (error: Error) => {
      throw new StackError(`type errors:\n${error.message.replace(/^.*failed: /, "")}`);
    },
  );
  progress("typecheck", `clean in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * Settings for the services under test (the environment still wins): limits
 * high enough for a suite that registers and logs in many customers (the
 * rate-limit test starts its own gateways with low limits), one CORS origin, and saga deadlines
 * short enough for the stopped-participant test to run in seconds.
 */
const TEST_DEFAULTS = {
  AUTH_RATE_LIMIT: "100000",
  RATE_LIMIT: "1000000",
  // One allowed origin, so the tests see CORS allow it and refuse every other.
  CORS_ORIGINS: "http://shop.example",
  SAGA_STEP_TIMEOUT_MS: "5000",
  // Three sends span about 45 s with the postponement below: longer than a killed participant's ~30 s way back
  // (restart, then its group forgets the dead member), so the kill tests see purchases complete, not compensate.
  SAGA_STEP_MAX_ATTEMPTS: "3",
  SAGA_STEP_BACKOFF_MS: "1000",
  // Past the pivot, the same budget: a step held up that long parks, which the dashboard's retry test relies on
  // (a killed participant's late reply still completes a parked saga).
  SAGA_RETRIABLE_TIMEOUT_MS: "5000",
  SAGA_RETRIABLE_MAX_ATTEMPTS: "3",
  SAGA_RETRIABLE_BACKOFF_MS: "1000",
  SAGA_COMPENSATION_TIMEOUT_MS: "5000",
  SAGA_COMPENSATION_MAX_ATTEMPTS: "40",
  SAGA_COMPENSATION_BACKOFF_MS: "500",
  // A frozen participant's queue holds deadlines back this long before they apply anyway.
  SAGA_DEADLINE_MAX_POSTPONE_MS: "10000",
  PURCHASE_PENDING_REPUBLISH_MS: "10000",
};

/** Runs jest against the stack, then prints one closing line "tests: N passed, N failed". */
async function test(jestArgs: string[]): Promise<number> {
  await typecheck();
  await up(optionalParts);
  const env = { ...TEST_DEFAULTS, ...process.env, ...stackEnv() };
  const services = await startServices(env, "log-files");
  const resultsFile = path.join(stackDir, "jest-results.json");
  writeFileSync(resultsFile, "{}");
  try {
    const code = await new Promise<number>((resolve) => {
      const jest = spawn(
        process.execPath,
        // --forceExit: a client a failed test could not stop (a Kafka consumer stuck in its own restart) must fail that test, not hang the run.
        [path.join(repoRoot, "node_modules", "jest", "bin", "jest.js"), "--runInBand", "--forceExit", "--json", `--outputFile=${resultsFile}`, ...jestArgs],
        { cwd: repoRoot, env, stdio: "inherit" },
      );
      jest.on("exit", (c) => resolve(c ?? 1));
    });
    const results = JSON.parse(readFileSync(resultsFile, "utf8")) as { numPassedTests?: number; numFailedTests?: number };
    process.stdout.write(`tests: ${results.numPassedTests ?? 0} passed, ${results.numFailedTests ?? 0} failed\n`);
    return code;
  } finally {
    await services.stop();
  }
}

async function main(): Promise<void> {
  const [command = "status", ...rest] = process.argv.slice(2);
  // Migrations, connectors and checks run here, with the same settings the services get.
  useStackEnv();
  switch (command) {
    case "up":
      return up(optionalPartsIn(rest));
    case "down":
      return down();
    case "reset":
      return reset();
    case "status":
      process.exitCode = (await status()) ? 0 : 1;
      return;
    case "env":
      for (const [k, v] of Object.entries(stackEnv())) process.stdout.write(`${k}=${v}\n`);
      return;
    case "logs":
      return logs(rest[0]);
    case "migrate":
      return migrateAll();
    case "kafka-access":
      // For a Kafka this tool did not start (compose), before Connect starts: the topics, then the ACLs.
      await waitForKafka(EXTERNAL_PART_BUDGET_MS);
      await ensureTopics();
      return ensureKafkaAcls({ withTestTopics: false });
    case "connectors":
      // For a Connect this tool did not start (compose): once its REST API answers, the outbox connectors.
      await waitForConnectRest(EXTERNAL_PART_BUDGET_MS);
      return registerConnectors();
    case "start":
      return start(optionalPartsIn(rest));
    case "dev":
      return dev();
    case "repl":
      return repl();
    case "test":
      process.exitCode = await test(rest);
      return;
    default:
      throw new StackError(
        `unknown command ${command}: use up, down, reset, status, env, logs [part], migrate, kafka-access, connectors, start, dev, repl or test`,
      );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[stack] error: ${error instanceof StackError ? error.message : (error as Error).stack}\n`);
  process.exit(1);
});
