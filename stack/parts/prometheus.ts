/**
 * Prometheus (Debian's package), an optional part: it scrapes every service
 * the stack runs, every 5 s, and answers PromQL on loopback. Its data lives
 * under .stack/prometheus and is kept a day.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { LOCAL_STACK } from "../../lib/environment";
import { prometheusDir } from "../layout";
import { assertPortsFree, ownedPid, progress, requireCommand, spawnDaemon, stopPid, waitFor } from "../processes";
import { metricsPortOf, serviceNames } from "../services";
import type { PartStatus, StackPart } from "./part";

const PART = "prometheus";
const port = LOCAL_STACK.prometheusPort;
const configFile = path.join(prometheusDir, "prometheus.yml");
const logFile = path.join(prometheusDir, "prometheus.log");
const pidFile = path.join(prometheusDir, "prometheus.pid");

export const prometheusUrl = () => `http://127.0.0.1:${port}`;

/** One job, one target per service, each labelled with its service's name. */
function scrapeConfig(): string {
  const targets = serviceNames()
    .map((name) => `      - targets: ["127.0.0.1:${metricsPortOf(name)}"]\n        labels: { service: "${name}" }`)
    .join("\n");
  return ["global:", "  scrape_interval: 5s", "  evaluation_interval: 5s", "scrape_configs:", "  - job_name: shop", "    static_configs:", targets, ""].join(
    "\n",
  );
}

async function ready(): Promise<boolean> {
  const res = await fetch(`${prometheusUrl()}/-/ready`);
  return res.ok;
}

export const prometheus: StackPart = {
  name: PART,
  logFile,
  async up() {
    if (ownedPid(pidFile, configFile)) {
      progress(PART, `already running on ${prometheusUrl()}`);
    } else {
      await requireCommand("prometheus", "install Prometheus (apt-get install --no-install-recommends prometheus)");
      await assertPortsFree(PART, [port]);
      mkdirSync(path.join(prometheusDir, "data"), { recursive: true });
      writeFileSync(configFile, scrapeConfig());
      progress(PART, "starting");
      spawnDaemon({
        command: "prometheus",
        args: [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${path.join(prometheusDir, "data")}`,
          "--storage.tsdb.retention.time=1d",
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        logFile,
        pidFile,
        cwd: prometheusDir,
      });
    }
    await waitFor(PART, `ready on ${prometheusUrl()}`, () => ready().catch(() => false), 60_000, logFile);
  },
  async down() {
    const pid = ownedPid(pidFile, configFile);
    if (!pid) return;
    progress(PART, "stopping");
    await stopPid(pid, 30_000);
  },
  async status(): Promise<PartStatus> {
    if (!ownedPid(pidFile, configFile)) return { healthy: false, detail: "not running" };
    return (await ready().catch(() => false))
      ? { healthy: true, detail: `PromQL on ${prometheusUrl()}, scraping every service` }
      : { healthy: false, detail: "running but not ready" };
  },
};
