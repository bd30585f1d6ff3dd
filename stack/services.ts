/** Runs every service (one moleculer-runner process each) and waits for the gateway to be ready. */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { LOCAL_STACK, gatewayPort } from "../lib/environment";
import { repoRoot, servicesDir } from "./layout";
import { StackError, assertPortsFree, progress, waitFor } from "./processes";

/** Service folders under services/, each with `<name>.service.ts` (the gateway is `api`); STACK_SERVICES=a,b picks some (moleculer-runner itself reads SERVICES). */
export function serviceNames(): string[] {
  const chosen = process.env.STACK_SERVICES?.split(",").map((s) => s.trim());
  return readdirSync(path.join(repoRoot, "services"), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(repoRoot, "services", d.name, `${d.name}.service.ts`)))
    .map((d) => d.name)
    .filter((name) => !chosen || chosen.includes(name))
    .sort();
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

export type OutputMode = "inherit" | "log-files";

export async function startServices(env: NodeJS.ProcessEnv, output: OutputMode): Promise<RunningServices> {
  await assertPortsFree("gateway", [gatewayPort()]);
  await assertPortsFree("metrics", serviceNames().map(metricsPortOf));
  mkdirSync(servicesDir, { recursive: true });
  const runner = path.join(repoRoot, "node_modules", "moleculer", "bin", "moleculer-runner.js");
  const children: ChildProcess[] = [];
  let stopping = false;
  // The gateway is ready once every other service has registered.
  const expected = serviceNames()
    .filter((name) => name !== "api")
    .join(",");
  for (const name of serviceNames()) {
    const child = spawn(process.execPath, ["--import", "tsx", runner, "--config", "moleculer.config.ts", path.join("services", name, `${name}.service.ts`)], {
      cwd: repoRoot,
      env: { ...env, NODE_ID: `${name}-${process.pid}`, EXPECTED_SERVICES: expected, METRICS_PORT: String(metricsPortOf(name)) },
      stdio: output === "inherit" ? ["ignore", "inherit", "inherit"] : ["ignore", "pipe", "pipe"],
    });
    // Tests that stop a participant find it here.
    writeFileSync(path.join(servicesDir, `${name}.pid`), String(child.pid));
    if (output === "log-files") {
      const sink = createWriteStream(path.join(servicesDir, `${name}.log`), { flags: "a" });
      child.stdout?.pipe(sink);
      child.stderr?.pipe(sink);
    }
    child.on("exit", (code) => {
      if (!stopping) progress("services", `${name} exited with code ${code} (see ${path.join(servicesDir, `${name}.log`)})`);
    });
    children.push(child);
  }
  progress("services", `started ${serviceNames().join(", ")}`);
  const stop = async () => {
    stopping = true;
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.kill("SIGTERM");
            setTimeout(() => child.kill("SIGKILL"), 15_000).unref();
          }),
      ),
    );
  };
  try {
    await waitFor(
      "gateway",
      `ready on http://127.0.0.1:${gatewayPort()}/ready`,
      async () => {
        if (children.some((c) => c.exitCode !== null)) throw new StackError("a service exited during start");
        return (await fetch(`http://127.0.0.1:${gatewayPort()}/ready`)).ok;
      },
      120_000,
      output === "log-files" ? path.join(servicesDir, "api.log") : undefined,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { stop };
}
