/**
 * Keeps long-running child processes up: one that exits without being asked
 * is started again after a capped exponential backoff. Every start rewrites
 * the process's pid file; its stdout and stderr are appended to its log file
 * (and, when asked, echoed to this terminal with the name in front), which
 * is rotated once it passes a size, so a system that runs for months keeps
 * a bounded amount of log.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, fstatSync, openSync, readSync, renameSync, writeFileSync, writeSync } from "node:fs";
import type { Readable, Writable } from "node:stream";

export interface RestartPolicy {
  /** Wait before the first restart of a streak. */
  firstDelayMs: number;
  /** The wait doubles per exit in a row up to this. */
  maxDelayMs: number;
  /** A process that stayed up this long was healthy: its next exit starts a new streak. */
  stableAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { firstDelayMs: 500, maxDelayMs: 15_000, stableAfterMs: 30_000 };

export interface RestartPlan {
  /** Exits in a row without staying up, this one included. */
  crashStreak: number;
  delayMs: number;
}

/** What to do after an exit, from the streak so far and how long the process was up. */
export function planRestart(previousCrashStreak: number, uptimeMs: number, policy: RestartPolicy = DEFAULT_RESTART_POLICY): RestartPlan {
  const crashStreak = uptimeMs >= policy.stableAfterMs ? 1 : previousCrashStreak + 1;
  // Math.min keeps a long streak at the cap (2 ** large is Infinity, never NaN).
  const delayMs = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** (crashStreak - 1));
  return { crashStreak, delayMs };
}

/** "code 1" or "signal SIGKILL", as Node reports an exit. */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `code ${code}`;
}

export interface LogRotation {
  /** Past this size, at the end of a line, the log becomes `<log>.1` (`.1` becomes `.2`, …) and a new one begins. */
  maxBytes: number;
  /** Rotated files kept besides the current one; the oldest goes. */
  keep: number;
}

/** At most 4 × 20 MiB per service: about a day of a busy sale's info lines, weeks of an idle shop's. */
export const DEFAULT_LOG_ROTATION: LogRotation = { maxBytes: 20 * 1024 * 1024, keep: 3 };

export interface SupervisedCommand {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  pidFile: string;
}

export interface SupervisorOptions {
  /** Also write each output line to this process's stdout/stderr, prefixed with the name. */
  echo: boolean;
  /** One line per event worth a human's attention (an exit and its restart). */
  report: (message: string) => void;
  policy?: RestartPolicy;
  /** How long a stopped process gets between SIGTERM and SIGKILL. */
  stopGraceMs?: number;
  logRotation?: LogRotation;
}

export interface ProcessState {
  name: string;
  logFile: string;
  crashStreak: number;
  lastExit?: string;
}

/** The last `count` lines of a file, reading only its end (service logs grow across runs). */
export function lastLines(file: string, count: number, maxBytes = 16_384): string[] {
  if (!existsSync(file)) return [];
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const lines = buffer.toString("utf8").split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    // The first line may be cut in the middle when the file is longer than what was read.
    if (size > length) lines.shift();
    return lines.slice(-count);
  } finally {
    closeSync(fd);
  }
}

/** How long, after an exit, the pipes get to drain before the log's tail is read. */
const DRAIN_WAIT_MS = 2_000;

class SupervisedProcess {
  private child?: ChildProcess;
  /** Settles once the current child's pipes are closed (or after DRAIN_WAIT_MS past its exit). */
  private drained: Promise<void> = Promise.resolve();
  private startedAt = 0;
  private restartTimer?: NodeJS.Timeout;
  private logFd?: number;
  private logBytes = 0;
  private logEndsWithNewline = true;
  private starts = 0;
  crashStreak = 0;
  lastExit?: string;

  constructor(
    readonly spec: SupervisedCommand,
    private readonly options: Required<SupervisorOptions>,
    private readonly namePadding: number,
    private readonly isStopping: () => boolean,
  ) {
    this.logFd = openSync(spec.logFile, "a");
    this.logBytes = fstatSync(this.logFd).size;
  }

  start(): void {
    this.restartTimer = undefined;
    if (this.isStopping()) return;
    this.starts += 1;
    const child = spawn(this.spec.command, this.spec.args, { cwd: this.spec.cwd, env: this.spec.env, stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    this.startedAt = Date.now();
    // Tests that stop or kill a participant find its current pid here.
    if (child.pid !== undefined) writeFileSync(this.spec.pidFile, String(child.pid));
    this.note(`${this.spec.name} ${this.starts === 1 ? "started" : "restarted"}, pid ${child.pid ?? "none"}`);
    this.forward(child.stdout, process.stdout);
    this.forward(child.stderr, process.stderr);
    const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
    let handled = false;
    const onEnd = (code: number | null, signal: NodeJS.Signals | null) => {
      if (handled) return;
      handled = true;
      // A grandchild holding the pipes open (tsx's esbuild inherits stderr) must not hold up the restart.
      this.drained = Promise.race([closed, new Promise<void>((resolve) => setTimeout(resolve, DRAIN_WAIT_MS).unref())]);
      void this.drained.then(() => this.exited(code, signal));
    };
    child.once("exit", onEnd);
    child.once("error", (error) => {
      this.note(`${this.spec.name} could not be started: ${error.message}`);
      if (child.pid === undefined) onEnd(null, null);
    });
  }

  private exited(code: number | null, signal: NodeJS.Signals | null): void {
    this.child = undefined;
    if (this.isStopping()) return;
    const uptimeMs = Date.now() - this.startedAt;
    const plan = planRestart(this.crashStreak, uptimeMs, this.options.policy);
    this.crashStreak = plan.crashStreak;
    this.lastExit = describeExit(code, signal);
    const recent = lastLines(this.spec.logFile, 10);
    const line = `${this.spec.name} exited with ${this.lastExit} after ${(uptimeMs / 1000).toFixed(1)} s; restarting in ${(plan.delayMs / 1000).toFixed(1)} s`;
    this.note(line);
    this.options.report(`${line} (log: ${this.spec.logFile})${recent.length > 0 ? `\n${recent.map((l) => `    ${l}`).join("\n")}` : ""}`);
    this.restartTimer = setTimeout(() => this.start(), plan.delayMs);
  }

  /** Stops the process (SIGTERM, SIGKILL after the grace period) and any pending restart. */
  async stop(): Promise<void> {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        const killer = setTimeout(() => child.kill("SIGKILL"), this.options.stopGraceMs);
        child.once("exit", () => {
          clearTimeout(killer);
          resolve();
        });
        child.kill("SIGTERM");
      });
    }
    await this.drained;
    this.note(`${this.spec.name} stopped`);
    if (this.logFd !== undefined) closeSync(this.logFd);
    this.logFd = undefined;
  }

  /** The supervisor's own lines go into the log too, so the file tells each restart's story. */
  private note(message: string): void {
    this.appendToLog(`${this.logEndsWithNewline ? "" : "\n"}[supervisor] ${new Date().toISOString()} ${message}\n`);
  }

  private appendToLog(text: string): void {
    // Output that trails in after stop() has nowhere to go.
    if (text.length === 0 || this.logFd === undefined) return;
    // Synchronous, so the tail read at an exit already holds everything received.
    writeSync(this.logFd, text);
    this.logBytes += Buffer.byteLength(text);
    this.logEndsWithNewline = text.endsWith("\n");
    const { maxBytes } = this.options.logRotation;
    // At a line's end, so no line is split between two files; past twice the size, whatever the output.
    if ((this.logBytes >= maxBytes && this.logEndsWithNewline) || this.logBytes >= 2 * maxBytes) this.rotateLog();
  }

  private rotateLog(): void {
    const file = this.spec.logFile;
    closeSync(this.logFd!);
    for (let i = this.options.logRotation.keep - 1; i >= 1; i--) if (existsSync(`${file}.${i}`)) renameSync(`${file}.${i}`, `${file}.${i + 1}`);
    if (this.options.logRotation.keep > 0) renameSync(file, `${file}.1`);
    this.logFd = openSync(file, this.options.logRotation.keep > 0 ? "a" : "w");
    this.logBytes = 0;
  }

  private forward(from: Readable | null, echoTo: Writable): void {
    if (!from) return;
    const prefix = `${this.spec.name.padEnd(this.namePadding)} | `;
    let partialLine = "";
    from.setEncoding("utf8");
    from.on("data", (chunk: string) => {
      this.appendToLog(chunk);
      if (!this.options.echo) return;
      const lines = (partialLine + chunk).split("\n");
      partialLine = lines.pop() ?? "";
      if (lines.length > 0) echoTo.write(lines.map((l) => prefix + l + "\n").join(""));
    });
    from.on("end", () => {
      if (this.options.echo && partialLine !== "") echoTo.write(prefix + partialLine + "\n");
    });
  }
}

/** Runs each command and restarts it whenever it exits, until stop(). */
export class Supervisor {
  private stopRequested = false;
  private stopped?: Promise<void>;
  private readonly processes: SupervisedProcess[];

  constructor(commands: SupervisedCommand[], options: SupervisorOptions) {
    const settled: Required<SupervisorOptions> = { policy: DEFAULT_RESTART_POLICY, stopGraceMs: 15_000, logRotation: DEFAULT_LOG_ROTATION, ...options };
    const namePadding = Math.max(0, ...commands.map((c) => c.name.length));
    this.processes = commands.map((spec) => new SupervisedProcess(spec, settled, namePadding, () => this.stopRequested));
  }

  start(): void {
    for (const p of this.processes) p.start();
  }

  /** Each process's restart history so far. */
  states(): ProcessState[] {
    return this.processes.map((p) => ({ name: p.spec.name, logFile: p.spec.logFile, crashStreak: p.crashStreak, lastExit: p.lastExit }));
  }

  /** Stops every process and disables restarts. */
  stop(): Promise<void> {
    // Idempotent: SIGINT and SIGTERM may both ask.
    this.stopRequested = true;
    this.stopped ??= Promise.all(this.processes.map((p) => p.stop())).then(() => undefined);
    return this.stopped;
  }
}
