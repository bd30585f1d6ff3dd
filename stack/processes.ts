/** Process plumbing for the local stack: commands, daemons, ports, waiting. */
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";

export class StackError extends Error {}

export function progress(part: string, message: string): void {
  process.stdout.write(`[stack] ${part}: ${message}\n`);
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  asUser?: string;
  timeoutMs?: number;
}

/** Runs a command to completion; rejects with its output on a non-zero exit. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<string> {
  const [cmd, argv] = options.asUser ? ["runuser", ["-u", options.asUser, "--", command, ...args]] : [command, args];
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      argv,
      { cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeoutMs ?? 600_000, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new StackError(`${command} ${args.join(" ")} failed: ${(stderr || stdout || error.message).trim()}`));
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

export async function requireCommand(command: string, hint: string): Promise<string> {
  try {
    return (await run("sh", ["-c", `command -v ${command}`])).trim();
  } catch {
    throw new StackError(`${command} not found: ${hint}`);
  }
}

export interface DaemonSpec {
  command: string;
  args: string[];
  logFile: string;
  pidFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Starts a long-running process detached from this one, its output in logFile. */
export function spawnDaemon(spec: DaemonSpec): number {
  mkdirSync(path.dirname(spec.logFile), { recursive: true });
  const out = openSync(spec.logFile, "a");
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    detached: true,
    stdio: ["ignore", out, out],
  });
  child.unref();
  if (child.pid === undefined) throw new StackError(`could not start ${spec.command}`);
  writeFileSync(spec.pidFile, String(child.pid));
  return child.pid;
}

function readPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Whether a process with this pid exists (signal 0 checks without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid in pidFile, if that process is alive and is ours (its command line mentions `marker`). */
export function ownedPid(pidFile: string, marker: string): number | undefined {
  const pid = readPid(pidFile);
  if (pid === undefined || !isAlive(pid)) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
    return cmdline.includes(marker) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** SIGTERM, wait for exit, SIGKILL after the grace period. */
export async function stopPid(pid: number, graceMs = 30_000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, "SIGTERM");
  const stopped = await pollUntil(() => !isAlive(pid), graceMs);
  if (!stopped && isAlive(pid)) process.kill(pid, "SIGKILL");
  await pollUntil(() => !isAlive(pid), 5_000);
}

async function pollUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return true;
    } catch (error) {
      // A StackError is a verdict (it will not get better by waiting); anything else means "not yet".
      if (error instanceof StackError) throw error;
    }
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function tail(file: string, lines = 30): string {
  if (!existsSync(file)) return `(no log at ${file})`;
  return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
}

/** Waits for a condition; on timeout fails with the tail of the part's log. */
export async function waitFor(part: string, what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, logFile?: string): Promise<void> {
  if (await pollUntil(check, timeoutMs, 200)) return;
  const logTail = logFile ? `\n--- last lines of ${logFile} ---\n${tail(logFile)}` : "";
  throw new StackError(`${part} did not become ${what} within ${Math.round(timeoutMs / 1000)} s${logTail}`);
}

function portAcceptsConnections(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Who listens on a TCP port, as "pid N (name)", or undefined when it is free. */
export async function portOwner(port: number): Promise<string | undefined> {
  try {
    const out = await run("ss", ["-ltnpH", `sport = :${port}`]);
    if (out.trim() === "") return undefined;
    const match = /users:\(\("([^"]+)",pid=(\d+)/.exec(out);
    return match ? `pid ${match[2]} (${match[1]})` : "another process";
  } catch {
    return (await portAcceptsConnections(port)) ? "another process" : undefined;
  }
}

/**
 * How long a port may stay taken before it counts as someone else's. A killed
 * process of ours looks gone (no command line) while the kernel is still
 * unmapping its memory, and its listening sockets close only after that: a
 * JVM with a large heap holds its ports for a moment past its death.
 */
const PORT_RELEASE_GRACE_MS = 15_000;

export async function assertPortsFree(part: string, ports: number[]): Promise<void> {
  for (const port of ports) {
    let owner: string | undefined;
    const released = await pollUntil(async () => (owner = await portOwner(port)) === undefined, PORT_RELEASE_GRACE_MS, 250);
    if (!released) throw new StackError(`${part}: port ${port} in use by ${owner}`);
  }
}
