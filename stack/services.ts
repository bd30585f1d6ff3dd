/** Runs every service (one moleculer-runner process each, supervised: restarted when it exits) and waits for the gateway to be ready. */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import { LOCAL_STACK, databaseUrlVariable, gatewayPort, isServiceDatabase } from "../lib/environment";
import { niced, nicenessOf } from "./door-first";
import { serviceLogins } from "./stack-env";
import { codeExtension, codeRoot, compiled, repoRoot, servicesDir } from "./layout";
import { StackError, assertPortsFree, ownedPid, progress, waitFor } from "./processes";
import { Supervisor, lastLines } from "./supervisor";

/** Service folders under services/, each with `<name>.service.ts` (the gateway is `api`); STACK_SERVICES=a,b picks some (moleculer-runner itself reads SERVICES). */
export function serviceNames(): string[] {
  const chosen = process.env.STACK_SERVICES?.split(",").map((s) => s.trim());
  return readdirSync(path.join(codeRoot, "services"), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(serviceFile(d.name)))
    .map((d) => d.name)
    .filter((name) => !chosen || chosen.includes(name))
    .sort();
}

/** A service's entry file, in the tree the code runs from. */
const serviceFile = (name: string) => path.join(codeRoot, "services", name, `${name}.service${codeExtension}`);

const moleculerRunner = path.join(repoRoot, "node_modules", "moleculer", "bin", "moleculer-runner.js");

/** moleculer-runner on these service files with the broker config: compiled JavaScript as it is, TypeScript through tsx. */
function runnerArgs(files: string[], options: string[] = []): string[] {
  const config = path.join(codeRoot, `moleculer.config${codeExtension}`);
  return [...(compiled ? [] : ["--import", "tsx"]), moleculerRunner, ...options, "--config", config, ...files];
}

/**
 * The environment without the credentials that are not `name`'s: a service
 * keeps its own database's URL (the gateway and ops have none, nobody has
 * Debezium's) and loses the Kafka and Redis logins it was given, which the
 * stack replaces with its own (serviceLogins). (`npm run dev` runs every
 * service in one process, so it keeps all.)
 */
export function ownCredentialsOnly(env: NodeJS.ProcessEnv, name: string): NodeJS.ProcessEnv {
  const own = isServiceDatabase(name) ? databaseUrlVariable(name) : undefined;
  const isCredential = (key: string) => /^((CDC_)?DATABASE_URL_[A-Z]+|KAFKA_PASSWORD|REDIS_PASSWORD)(_FILE)?$|^(KAFKA|REDIS)_USERNAME$/.test(key);
  return Object.fromEntries(Object.entries(env).filter(([key]) => !isCredential(key) || key === own || key === `${own}_FILE`));
}

/** What the gateway waits for before it is ready: every other service. */
const expectedServices = () =>
  serviceNames()
    .filter((name) => name !== "api")
    .join(",");

/**
 * `npm run dev`: every service in one process under Moleculer's hot reload
 * (a changed service file is reloaded in place) with its REPL, against the
 * running stack. Not supervised: it is for editing, not for faults.
 */
export function runForDevelopment(env: NodeJS.ProcessEnv): ChildProcess {
  const args = runnerArgs(serviceNames().map(serviceFile), ["--hot", "--repl"]);
  return spawn(process.execPath, args, { cwd: repoRoot, env: { ...env, EXPECTED_SERVICES: expectedServices() }, stdio: "inherit" });
}

/** Where a service started by the stack tool serves its Prometheus metrics. */
export function metricsPortOf(name: string): number {
  const index = serviceNames().indexOf(name);
  if (index < 0) throw new StackError(`no service named ${name}`);
  return LOCAL_STACK.metricsBasePort + index;
}

export interface RunningServices {
  stop(): Promise<void>;
}

/** "inherit" (npm start) also echoes each service's output to the terminal; both write `.stack/services/<name>.log`. */
export type OutputMode = "inherit" | "log-files";

/** Exits in a row, without staying up, after which a service is taken to be broken and the start fails. */
const START_CRASH_LIMIT = 5;

export function serviceLogFile(name: string): string {
  return path.join(servicesDir, `${name}.log`);
}

/** Each service's process as its pid file says (npm start or npm test runs them; `up` does not). */
export function serviceProcesses(): { name: string; pid: number | undefined; logFile: string }[] {
  return serviceNames().map((name) => ({ name, pid: ownedPid(path.join(servicesDir, `${name}.pid`), `${name}.service`), logFile: serviceLogFile(name) }));
}

export async function startServices(env: NodeJS.ProcessEnv, output: OutputMode): Promise<RunningServices> {
  await assertPortsFree("gateway", [gatewayPort()]);
  await assertPortsFree("metrics", serviceNames().map(metricsPortOf));
  mkdirSync(servicesDir, { recursive: true });
  const expected = expectedServices();
  const supervisor = new Supervisor(
    serviceNames().map((name) => ({
      name,
      ...niced(process.execPath, runnerArgs([serviceFile(name)]), nicenessOf(name)),
      cwd: repoRoot,
      // The node id stays the same across restarts, so the other nodes replace the dead instance's registration at once.
      env: {
        ...ownCredentialsOnly(env, name),
        ...serviceLogins(name),
        NODE_ID: `${name}-${process.pid}`,
        EXPECTED_SERVICES: expected,
        METRICS_PORT: String(metricsPortOf(name)),
      },
      logFile: serviceLogFile(name),
      pidFile: path.join(servicesDir, `${name}.pid`),
    })),
    { echo: output === "inherit", report: (message) => progress("services", message) },
  );
  supervisor.start();
  progress("services", `started ${serviceNames().join(", ")} (restarted when they exit; logs in ${path.join(servicesDir, "<name>.log")})`);
  try {
    await waitFor(
      "gateway",
      `ready on http://127.0.0.1:${gatewayPort()}/ready`,
      async () => {
        const broken = supervisor.states().find((s) => s.crashStreak >= START_CRASH_LIMIT);
        if (broken) {
          throw new StackError(
            `${broken.name} exited ${broken.crashStreak} times in a row during start (the last with ${broken.lastExit}); see ${broken.logFile}\n` +
              `--- last lines of ${broken.logFile} ---\n${lastLines(broken.logFile, 30).join("\n")}`,
          );
        }
        return (await fetch(`http://127.0.0.1:${gatewayPort()}/ready`)).ok;
      },
      // Generous: seven services compiling at once on a busy 2-core machine took over 100 s; a broken one fails sooner, by its crash streak.
      300_000,
      serviceLogFile("api"),
    );
  } catch (error) {
    await supervisor.stop();
    throw error;
  }
  return { stop: () => supervisor.stop() };
}
