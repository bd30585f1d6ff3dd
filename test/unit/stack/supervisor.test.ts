/**
 * The supervisor around real (tiny) node processes, no stack: an exit is
 * restarted with a new pid in the pid file, output and the supervisor's own
 * lines append to the log, and stop() ends everything for good.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Supervisor, lastLines } from "../../../stack/supervisor";
import { waitUntil } from "../../support/wait";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "supervisor-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const fastPolicy = { firstDelayMs: 20, maxDelayMs: 100, stableAfterMs: 60_000 };
const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function command(name: string, script: string) {
  return {
    name,
    command: process.execPath,
    args: ["-e", script],
    cwd: dir,
    env: process.env,
    logFile: path.join(dir, `${name}.log`),
    pidFile: path.join(dir, `${name}.pid`),
  };
}

test("a process that exits is started again, its pid file rewritten and its log appended", async () => {
  const reports: string[] = [];
  const sleeper = command("sleeper", "console.log('up ' + process.pid); setInterval(() => {}, 1000)");
  writeFileSync(sleeper.logFile, "from an earlier run\n");
  const supervisor = new Supervisor([sleeper], { echo: false, report: (m) => reports.push(m), policy: fastPolicy });
  supervisor.start();
  try {
    const firstPid = Number(readFileSync(sleeper.pidFile, "utf8"));
    await waitUntil("the first start's output", () => readFileSync(sleeper.logFile, "utf8").includes(`up ${firstPid}`), 10_000);
    process.kill(firstPid, "SIGKILL");
    const secondPid = await waitUntil(
      "a new live pid",
      () => {
        const pid = Number(readFileSync(sleeper.pidFile, "utf8"));
        return pid !== firstPid && isAlive(pid) && pid;
      },
      10_000,
    );
    await waitUntil("the second start's output", () => readFileSync(sleeper.logFile, "utf8").includes(`up ${secondPid}`), 10_000);
    const log = readFileSync(sleeper.logFile, "utf8");
    expect(log.startsWith("from an earlier run\n")).toBe(true);
    expect(log).toMatch(/\[supervisor\] .* sleeper exited with signal SIGKILL after [\d.]+ s; restarting in 0\.0 s/);
    expect(log).toContain(`sleeper restarted, pid ${secondPid}`);
    expect(reports).toHaveLength(1);
    // The report carries the log's last lines, indented: here everything the log held.
    expect(reports[0]).toMatch(/^sleeper exited with signal SIGKILL .*\(log: .*sleeper\.log\)\n {4}from an earlier run\n[\s\S]*\n {4}up \d+$/);
    expect(supervisor.states()).toEqual([{ name: "sleeper", logFile: sleeper.logFile, crashStreak: 1, lastExit: "signal SIGKILL" }]);
  } finally {
    await supervisor.stop();
  }
  const lastPid = Number(readFileSync(sleeper.pidFile, "utf8"));
  expect(isAlive(lastPid)).toBe(false);
  expect(lastLines(sleeper.logFile, 1)[0]).toMatch(/sleeper stopped$/);
});

test("a process that keeps failing builds a crash streak with growing delays", async () => {
  const reports: string[] = [];
  const crasher = command("crasher", "console.error('boom'); process.exit(3)");
  const supervisor = new Supervisor([crasher], { echo: false, report: (m) => reports.push(m), policy: fastPolicy });
  supervisor.start();
  try {
    await waitUntil("four exits in a row", () => supervisor.states()[0].crashStreak >= 4, 20_000);
  } finally {
    await supervisor.stop();
  }
  expect(supervisor.states()[0].lastExit).toBe("code 3");
  expect(reports.slice(0, 4).map((r) => /restarting in ([\d.]+) s/.exec(r)?.[1])).toEqual(["0.0", "0.0", "0.1", "0.1"]);
  const streakAtStop = supervisor.states()[0].crashStreak;
  // No restart after stop(): the streak no longer moves.
  await new Promise((r) => setTimeout(r, 300));
  expect(supervisor.states()[0].crashStreak).toBe(streakAtStop);
});

test("lastLines reads only the end of a long file", () => {
  const file = path.join(dir, "long.log");
  writeFileSync(file, Array.from({ length: 5_000 }, (_, i) => `line ${i}`).join("\n") + "\n");
  expect(lastLines(file, 3)).toEqual(["line 4997", "line 4998", "line 4999"]);
  expect(lastLines(path.join(dir, "missing.log"), 3)).toEqual([]);
});

test("a log past its size is rotated at a line's end, keeping the newest files and dropping the oldest", async () => {
  // 60 lines of 100 bytes (99 and the newline), numbered, a few milliseconds apart (each its own chunk); logs of 1,000 bytes, two rotated files kept.
  const talker = command(
    "talker",
    "let i = 0; const t = setInterval(() => { console.log(String(i).padStart(4, '0') + '-'.repeat(95)); if (++i === 60) clearInterval(t); }, 3); setInterval(() => {}, 1000)",
  );
  const supervisor = new Supervisor([talker], { echo: false, report: () => undefined, policy: fastPolicy, logRotation: { maxBytes: 1_000, keep: 2 } });
  supervisor.start();
  try {
    const logs = () => readdirSync(dir).filter((f) => f.startsWith("talker.log"));
    await waitUntil("the last line", () => logs().some((f) => readFileSync(path.join(dir, f), "utf8").includes("0059-")), 10_000);
  } finally {
    await supervisor.stop();
  }
  const files = readdirSync(dir)
    .filter((f) => f.startsWith("talker.log"))
    .sort();
  expect(files).toEqual(["talker.log", "talker.log.1", "talker.log.2"]);
  const lines = files
    .slice()
    .reverse()
    .flatMap((f) => readFileSync(path.join(dir, f), "utf8").split("\n"))
    .filter((l) => /^\d{4}-/.test(l));
  // Whole lines only, the newest ones, in order, ending with the last.
  expect(lines.filter((l) => l.length !== 99)).toEqual([]);
  expect(lines.map((l) => Number(l.slice(0, 4)))).toEqual(lines.map((_, i) => 60 - lines.length + i));
  expect(lines.length).toBeLessThan(60);
  for (const f of files.slice(1)) expect(statSync(path.join(dir, f)).size).toBeLessThan(2_000);
});
