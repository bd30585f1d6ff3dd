/**
 * The production build: `npm run build` puts everything that runs in dist/,
 * the compiled stack tool sees the database migrated by the TypeScript one as
 * up to date, and a compiled service, run as plain JavaScript (no tsx), joins
 * the running system and answers for it.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { SERVICE_DATABASES, databaseUrl, databaseUrlVariable } from "../../../lib/environment";
import { waitUntil } from "../../support/wait";

const repoRoot = path.resolve(__dirname, "..", "..", "..");
const dist = path.join(repoRoot, "dist");

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; output: string; stdout: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: repoRoot, env, timeout: 300_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr, stdout }),
    );
  });
}

let compiled: ChildProcess | undefined;

afterAll(async () => {
  if (compiled && compiled.exitCode === null) {
    const exited = new Promise((resolve) => compiled!.once("exit", resolve));
    compiled.kill("SIGTERM");
    await exited;
  }
});

test("npm run build emits every service, migration and tool, and the dashboard's files", async () => {
  const { code, output } = await run("npm", ["run", "-s", "build"]);
  expect([code, output]).toEqual([0, ""]);
  const services = readdirSync(path.join(repoRoot, "services"));
  for (const name of services) expect(existsSync(path.join(dist, "services", name, `${name}.service.js`))).toBe(true);
  for (const file of ["moleculer.config.js", "stack/cli.js", "ops/operator-console.js", "connect/outbox-connector.json", "ops/dashboard/index.html"]) {
    expect([file, existsSync(path.join(dist, file))]).toEqual([file, true]);
  }
  expect(readdirSync(path.join(dist, "migrations", "common")).filter((f) => f.endsWith(".js")).length).toBeGreaterThan(0);
});

test("the compiled stack tool finds every database migrated by the TypeScript one up to date", async () => {
  const { code, output } = await run(process.execPath, [path.join(dist, "stack", "cli.js"), "migrate"]);
  expect(code).toBe(0);
  for (const database of SERVICE_DATABASES) expect(output).toContain(`migrate: ${database}: up to date`);
});

test("compose's migrate job, as the image runs it, uses what it is given and makes up no local secret", async () => {
  // Only the owners' URLs, as compose gives the job; a stack folder of its own, which must stay unmade.
  const stackDir = path.join(mkdtempSync(path.join(tmpdir(), "migrate-job-")), "never-made");
  const owners = Object.fromEntries(SERVICE_DATABASES.map((d) => [databaseUrlVariable(d), databaseUrl(d)]));
  const { code, output } = await run(process.execPath, [path.join(dist, "stack", "cli.js"), "migrate"], {
    PATH: process.env.PATH,
    NODE_ENV: "production",
    STACK_DIR: stackDir,
    ...owners,
  });
  expect([code, output]).toEqual([0, expect.stringContaining("migrate: orchestrator: up to date")]);
  expect(existsSync(stackDir)).toBe(false);
});

test("a compiled service runs as plain JavaScript, joins the running system and answers for it", async () => {
  const nodeID = `ops-compiled-${process.pid}`;
  const runner = path.join(repoRoot, "node_modules", "moleculer", "bin", "moleculer-runner.js");
  const { METRICS_PORT: _, ...env } = process.env;
  compiled = spawn(process.execPath, [runner, "--config", path.join(dist, "moleculer.config.js"), path.join(dist, "services", "ops", "ops.service.js")], {
    cwd: repoRoot,
    env: { ...env, NODE_ID: nodeID, NODE_ENV: "production" },
    stdio: "ignore",
  });
  const commandLine = readFileSync(`/proc/${compiled.pid}/cmdline`, "utf8").split("\0");
  expect(commandLine.some((part) => part.includes("tsx"))).toBe(false);

  const caller = path.join(repoRoot, "test", "support", "call-action.ts");
  const answer = await waitUntil(
    "the compiled ops service to answer",
    async () => {
      const { code, stdout } = await run(process.execPath, ["--import", "tsx", caller, "ops.overview", nodeID]);
      return code === 0 && stdout;
    },
    120_000,
    1_000,
  );
  expect(JSON.parse(answer).outbox).toHaveLength(SERVICE_DATABASES.length);
});
