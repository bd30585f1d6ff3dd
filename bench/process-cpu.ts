/**
 * CPU time of the stack's processes, read from /proc, grouped by part: each
 * Node service, Kafka Connect, Kafka, Postgres (backends; walsenders apart),
 * Redis, Zipkin, Prometheus. A snapshot before and
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
export function partOf(command: string): string | undefined {
  const service = /services\/([a-z]+)\/[a-z-]+\.service\.ts/.exec(command);
  if (service) return `node ${service[1]}`;
  if (command.includes("ConnectDistributed")) return "connect";
  if (command.includes("kafka.Kafka ")) return "kafka";
  if (/redis-server 127\.0\.0\.1:170\d\d/.test(command)) return "redis";
  if (command.includes("zipkin-server")) return "zipkin";
  if (/(^|\/)prometheus /.test(command)) return "prometheus";
  return undefined;
}

/** CPU seconds used so far by each part of the stack. */
export function cpuSnapshot(): CpuSnapshot {
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
      // Walsenders (one per Debezium connector) apart: they read the shared WAL, the backends run the statements.
      add(p.command.startsWith("postgres: walsender") ? "walsenders" : "postgres", p.own + (p.pid === postmaster.pid ? p.children : 0));
      continue;
    }
    const part = partOf(p.command);
    if (part) add(part, p.own);
  }
  return totals;
}

export type CpuSnapshot = Map<string, number>;

/**
 * Each part's share of a core between two snapshots `seconds` apart. A
 * Postgres backend that ended in between may not be in its parent's total
 * yet, so a part can seem to go back: that counts as nothing.
 */
export function cpuShares(before: CpuSnapshot, after: CpuSnapshot, seconds: number): Map<string, number> {
  return new Map([...after].map(([part, used]) => [part, Math.max(0, used - (before.get(part) ?? 0)) / seconds]));
}

/** "idle: 31.8% of a core in all (connect 24.50%, …)", largest first. */
export function describeShares(label: string, shares: Map<string, number>): string {
  const rows = [...shares].sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((sum, [, share]) => sum + share, 0);
  return `${label}: ${(100 * total).toFixed(1)}% of a core in all (${rows.map(([part, share]) => `${part} ${(100 * share).toFixed(2)}%`).join(", ")})`;
}

/**
 * "CPU ms per saga: 57.8 in all, 3.1 of it the idle baseline (node orchestrator 8.8 (idle 0.2), …)":
 * CPU per saga of each part between two snapshots, largest first, with what
 * the idle shares would have used over the same wall time shown apart.
 */
export function cpuPerSaga(before: CpuSnapshot, after: CpuSnapshot, sagas: number, idle?: { shares: Map<string, number>; seconds: number }): string {
  const ms = (seconds: number) => ((1000 * seconds) / sagas).toFixed(1);
  const used = [...after].map(([part, seconds]) => [part, seconds - (before.get(part) ?? 0)] as const).sort((a, b) => b[1] - a[1]);
  const total = used.reduce((sum, [, seconds]) => sum + seconds, 0);
  if (!idle) return `CPU ms per saga: ${ms(total)} in all (${used.map(([part, seconds]) => `${part} ${ms(seconds)}`).join(", ")})`;
  const idleOf = (part: string) => (idle.shares.get(part) ?? 0) * idle.seconds;
  const idleTotal = used.reduce((sum, [part]) => sum + idleOf(part), 0);
  const parts = used.map(([part, seconds]) => `${part} ${ms(seconds)} (idle ${ms(idleOf(part))})`);
  return `CPU ms per saga: ${ms(total)} in all, ${ms(idleTotal)} of it the idle baseline over the same ${idle.seconds.toFixed(0)} s (${parts.join(", ")})`;
}
