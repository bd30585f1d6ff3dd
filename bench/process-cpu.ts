/**
 * CPU time of the stack's processes, read from /proc, grouped by part: each
 * Node service, Kafka Connect, Kafka, Postgres, Redis. A snapshot before and
 * one after a run give CPU seconds per saga of each part, which say where a
 * saga's cost goes on a machine whose cores are all busy.
 *
 * Postgres runs a process per connection: its figure is the postmaster's own
 * time plus what its ended children used (cutime, cstime) plus the time of
 * those alive, so connections that came and went are counted too.
 */
import { readFileSync, readdirSync } from "node:fs";
import { postgresDataDirFor } from "../stack/layout";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime, in ticks. */
  own: number;
  /** cutime + cstime: children that have been waited for, in ticks. */
  children: number;
  command: string;
}

function readProc(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may hold spaces: the fields after it are fixed.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
    return { pid, ppid: Number(fields[1]), own: Number(fields[11]) + Number(fields[12]), children: Number(fields[13]) + Number(fields[14]), command };
  } catch {
    return undefined; // gone meanwhile
  }
}

/** The part a process belongs to, or undefined for one outside the stack. */
function partOf(command: string): string | undefined {
  const service = /services\/([a-z]+)\/[a-z-]+\.service\.ts/.exec(command);
  if (service) return `node ${service[1]}`;
  if (command.includes("ConnectDistributed")) return "connect";
  if (command.includes("kafka.Kafka ")) return "kafka";
  if (/redis-server 127\.0\.0\.1:170\d\d/.test(command)) return "redis";
  return undefined;
}

/** CPU seconds used so far by each part of the stack. */
export function cpuSnapshot(): Map<string, number> {
  // The stack's cluster lives in one of two places (stack/layout); the machine's own Postgres, if any, is not ours.
  const dataDirs = [postgresDataDirFor(true), postgresDataDirFor(false)];
  const procs = readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readProc(Number(name)))
    .filter((p): p is ProcStat => p !== undefined);
  const totals = new Map<string, number>();
  const add = (part: string, ticks: number) => totals.set(part, (totals.get(part) ?? 0) + ticks / TICKS_PER_SECOND);
  const postmaster = procs.find((p) => /postgres -D /.test(p.command) && dataDirs.some((dir) => p.command.includes(dir)));
  for (const p of procs) {
    if (postmaster && (p.pid === postmaster.pid || p.ppid === postmaster.pid)) {
      add("postgres", p.own + (p.pid === postmaster.pid ? p.children : 0));
      continue;
    }
    const part = partOf(p.command);
    if (part) add(part, p.own);
  }
  return totals;
}

/** "node orchestrator 9.1 ms, connect 13.0 ms, …": CPU per saga of each part between two snapshots, largest first. */
export function cpuPerSaga(before: Map<string, number>, after: Map<string, number>, sagas: number): string {
  const used = [...after].map(([part, seconds]) => [part, seconds - (before.get(part) ?? 0)] as const).sort((a, b) => b[1] - a[1]);
  const total = used.reduce((sum, [, seconds]) => sum + seconds, 0);
  const parts = used.map(([part, seconds]) => `${part} ${((1000 * seconds) / sagas).toFixed(1)}`);
  return `CPU ms per saga: ${((1000 * total) / sagas).toFixed(1)} in all (${parts.join(", ")})`;
}
