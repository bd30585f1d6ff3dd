/**
 * Zipkin: the trace store the services export spans to (in memory, so a
 * restart starts empty), with its UI and API on loopback. Its own exec jar
 * from Maven Central, run by Java 17 like Kafka.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { LOCAL_STACK } from "../../lib/environment";
import { zipkinDir } from "../layout";
import { assertPortsFree, ownedPid, progress, spawnDaemon, stopPid, waitFor } from "../processes";
import { ensureJars, zipkinJar } from "./jars";
import type { PartStatus, StackPart } from "./part";

const PART = "zipkin";
const port = LOCAL_STACK.zipkinPort;
const logFile = path.join(zipkinDir, "zipkin.log");
const pidFile = path.join(zipkinDir, "zipkin.pid");

export const zipkinUrl = () => `http://127.0.0.1:${port}`;

async function healthy(): Promise<boolean> {
  const res = await fetch(`${zipkinUrl()}/health`);
  return res.ok;
}

export const zipkin: StackPart = {
  name: PART,
  logFile,
  async up() {
    if (ownedPid(pidFile, zipkinJar)) {
      progress(PART, `already running on ${zipkinUrl()}`);
    } else {
      await ensureJars();
      await assertPortsFree(PART, [port]);
      mkdirSync(zipkinDir, { recursive: true });
      progress(PART, "starting");
      spawnDaemon({
        command: "java",
        // Spring Boot replaces a list property whole, so the one port is given in full: loopback, HTTP.
        args: ["-Xmx384m", "-jar", zipkinJar, `--armeria.ports[0].port=${port}`, "--armeria.ports[0].ip=127.0.0.1", "--armeria.ports[0].protocols[0]=http"],
        // In-memory storage: a bound on spans held, so a long benchmark cannot exhaust the heap.
        env: { ...process.env, MEM_MAX_SPANS: "200000" },
        logFile,
        pidFile,
        cwd: zipkinDir,
      });
    }
    await waitFor(PART, `ready on ${zipkinUrl()}`, () => healthy().catch(() => false), 120_000, logFile);
  },
  async down() {
    const pid = ownedPid(pidFile, zipkinJar);
    if (!pid) return;
    progress(PART, "stopping");
    await stopPid(pid, 30_000);
  },
  async status(): Promise<PartStatus> {
    if (!ownedPid(pidFile, zipkinJar)) return { healthy: false, detail: "not running" };
    return (await healthy().catch(() => false))
      ? { healthy: true, detail: `UI and API on ${zipkinUrl()}` }
      : { healthy: false, detail: "running but not answering" };
  },
};
