/**
 * Where each Node service spends its CPU during a stretch of work (a sale):
 * profiles every running service at once through its inspector and prints, per
 * service, its busy share, the share of samples by package and the functions
 * with the most self time. Each profile is kept as a .cpuprofile (Chrome's
 * DevTools opens it).
 *
 *   NODE_OPTIONS=--inspect-port=0 npm start     # inspectors on free ports, opened only when asked
 *   npm run bench:profile -- 60 [top]           # profiles for 60 s; start the sale meanwhile
 *
 * The inspector of each service is opened by SIGUSR1 and listens on loopback.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stackDir } from "../stack/layout";
import { serviceProcesses } from "../stack/services";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
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

const share = (count: number, total: number) => `${((100 * count) / Math.max(total, 1)).toFixed(1)}%`;

function summarise(label: string, profile: CpuProfile, top: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const id of profile.samples) {
    const frame = byId.get(id);
    if (!frame) continue;
    const pkg = packageOf(frame.url, frame.functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + 1);
    const where = frame.url ? ` ${path.basename(frame.url)}:${frame.lineNumber + 1}` : "";
    const name = `${frame.functionName || "(anonymous)"}${where} [${pkg}]`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + 1);
  }
  const total = profile.samples.length;
  // While the event loop waits, the sample is "(idle)": the rest is what the process spent.
  const busy = total - (byPackage.get("(idle)") ?? 0);
  const ranked = (counts: Map<string, number>) => [...counts].filter(([key]) => !key.includes("(idle)")).sort((a, b) => b[1] - a[1]);
  const seconds = (profile.endTime - profile.startTime) / 1e6;
  return [
    `${label}: busy ${share(busy, total)} of ${seconds.toFixed(0)} s`,
    `  by package: ${ranked(byPackage)
      .slice(0, top)
      .map(([k, v]) => `${k} ${share(v, busy)}`)
      .join(", ")}`,
    ...ranked(byFunction)
      .slice(0, top)
      .map(([name, count]) => `  ${share(count, busy).padStart(6)}  ${name}`),
  ].join("\n");
}

/** A DevTools-protocol session over the inspector's WebSocket (Node 20: run with --experimental-websocket). */
async function inspectorSession(url: string): Promise<(method: string, params?: object) => Promise<unknown>> {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  let nextId = 1;
  const pending = new Map<number, (result: unknown) => void>();
  socket.onmessage = (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  };
  return (method, params = {}) =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
}

/** Opens a service's inspector (SIGUSR1) and reads where it listens from the service's log. */
async function openInspector(pid: number, logFile: string): Promise<string> {
  const before = readFileSync(logFile, "utf8").length;
  process.kill(pid, "SIGUSR1");
  for (let waited = 0; waited < 10_000; waited += 100) {
    const match = /Debugger listening on (ws:\/\/\S+)/.exec(readFileSync(logFile, "utf8").slice(before));
    if (match) return match[1];
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`pid ${pid} opened no inspector: was it started with NODE_OPTIONS=--inspect-port=0?`);
}

async function main(): Promise<void> {
  const [secondsArg = "60", topArg = "12"] = process.argv.slice(2);
  const running = serviceProcesses().filter((s): s is typeof s & { pid: number } => s.pid !== undefined);
  if (running.length === 0) throw new Error("no service is running: npm start first");
  const sessions = await Promise.all(
    running.map(async ({ name, pid, logFile }) => {
      const send = await inspectorSession(await openInspector(pid, logFile));
      await send("Profiler.enable");
      await send("Profiler.setSamplingInterval", { interval: 1000 });
      return { name, send };
    }),
  );
  await Promise.all(sessions.map(({ send }) => send("Profiler.start")));
  console.log(`profiling ${sessions.map((s) => s.name).join(", ")} for ${secondsArg} s`);
  await new Promise((resolve) => setTimeout(resolve, Number(secondsArg) * 1000));
  const outDir = path.join(stackDir, "profiles");
  mkdirSync(outDir, { recursive: true });
  for (const { name, send } of sessions) {
    const { profile } = (await send("Profiler.stop")) as { profile: CpuProfile };
    writeFileSync(path.join(outDir, `${name}.cpuprofile`), JSON.stringify(profile));
    console.log(summarise(name, profile, Number(topArg)) + "\n");
  }
  console.log(`profiles in ${outDir}`);
  process.exit(0);
}

main().catch((error) => {
  console.error((error as Error).message);
  process.exit(1);
});
