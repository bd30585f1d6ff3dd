/**
 * Resident memory of the stack's long-lived processes, by part (each Node
 * service, Kafka, Kafka Connect, Zipkin, Redis, Prometheus), read from
 * /proc: what an endurance run watches for growth. Postgres is left out:
 * its backends share their buffers, so their RSS cannot be added up.
 */
import { readFileSync, readdirSync } from "node:fs";
import { partOf } from "./process-cpu";

function residentBytes(pid: string): { part: string; bytes: number } | undefined {
  try {
    const part = partOf(readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " "));
    const rss = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return part && rss ? { part, bytes: 1024 * Number(rss[1]) } : undefined;
  } catch {
    return undefined; // gone meanwhile
  }
}

/** Bytes resident per part now (the Redis nodes summed). */
export function rssSnapshot(): Map<string, number> {
  const totals = new Map<string, number>();
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    const found = residentBytes(pid);
    if (found) totals.set(found.part, (totals.get(found.part) ?? 0) + found.bytes);
  }
  return totals;
}
