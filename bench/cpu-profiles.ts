/**
 * Where each Node process spent its CPU: reads the `.cpuprofile` files that
 * `node --cpu-prof` wrote into a folder and prints, per process, the share of
 * samples by package and the functions with the most self time.
 *
 *   NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/profiles" npm start   # then a sale, then stop
 *   npx tsx bench/cpu-profiles.ts /tmp/profiles [top]
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { servicesDir } from "../stack/layout";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  startTime: number;
  endTime: number;
}

/** The package a frame belongs to: node_modules/<pkg>, node's own, the project's code, or the VM (idle, GC, program). */
function packageOf(url: string, functionName: string): string {
  if (url === "") return `(${functionName.replace(/[()]/g, "") || "vm"})`;
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inModules) return inModules[1];
  if (url.startsWith("node:")) return "node";
  return "project";
}

/** The service a profile came from, by the pid in its file name and the pid files the stack tool leaves behind. */
function serviceNamesByPid(): Map<number, string> {
  const names = new Map<number, string>();
  for (const file of readdirSync(servicesDir).filter((f) => f.endsWith(".pid"))) {
    names.set(Number(readFileSync(path.join(servicesDir, file), "utf8").trim()), path.basename(file, ".pid"));
  }
  return names;
}

function share(count: number, total: number): string {
  return `${((100 * count) / total).toFixed(1)}%`;
}

function summarise(file: string, label: string, top: number): string {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const id of profile.samples) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const pkg = packageOf(frame.url, frame.functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + 1);
    const where = frame.url ? `${path.basename(frame.url)}:${frame.lineNumber + 1}` : "";
    const name = `${frame.functionName || "(anonymous)"} ${where} [${pkg}]`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + 1);
  }
  const total = profile.samples.length;
  // Samples while the loop waits are "(idle)"; the busy share is what the process spent.
  const busy = total - (byPackage.get("(idle)") ?? 0);
  const seconds = (profile.endTime - profile.startTime) / 1e6;
  const ranked = (m: Map<string, number>) => [...m].filter(([k]) => k !== "(idle)" && !k.startsWith("(idle)")).sort((a, b) => b[1] - a[1]);
  const lines = [`${label}: ${seconds.toFixed(0)} s, busy ${share(busy, total)} of the samples`];
  lines.push(
    `  by package (of busy): ${ranked(byPackage)
      .slice(0, top)
      .map(([k, v]) => `${k} ${share(v, busy)}`)
      .join(", ")}`,
  );
  for (const [name, count] of ranked(byFunction).slice(0, top)) lines.push(`  ${share(count, busy).padStart(6)}  ${name}`);
  return lines.join("\n");
}

function main(): void {
  const [dir, topArg] = process.argv.slice(2);
  if (!dir) throw new Error("usage: tsx bench/cpu-profiles.ts <folder of .cpuprofile files> [top]");
  const top = Number(topArg ?? 12);
  const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}`);
  const names = serviceNamesByPid();
  for (const file of files.sort()) {
    // node names the file CPU.<date>.<time>.<pid>.<thread>.<sequence>.cpuprofile.
    const pid = Number(file.split(".")[3]);
    console.log(summarise(path.join(dir, file), `${names.get(pid) ?? "other"} (pid ${pid})`, top) + "\n");
  }
}

if (require.main === module) main();
