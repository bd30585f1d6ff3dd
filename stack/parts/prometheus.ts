/**
 * Prometheus (Debian's package), an optional part: it scrapes every service
 * the stack runs, every 5 s, and answers PromQL on loopback. Its data lives
 * under .stack/prometheus and is kept a day.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { LOCAL_STACK } from "../../lib/environment";
import { prometheusDir } from "../layout";
import { requireCommand } from "../processes";
import { metricsPortOf, serviceNames } from "../services";
import { daemonPart } from "./daemon-part";

const port = LOCAL_STACK.prometheusPort;
const configFile = path.join(prometheusDir, "prometheus.yml");
const dataDir = path.join(prometheusDir, "data");

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

export const prometheus = daemonPart({
  name: "prometheus",
  dir: prometheusDir,
  port,
  healthPath: "/-/ready",
  marker: configFile,
  command: "prometheus",
  args: [`--config.file=${configFile}`, `--storage.tsdb.path=${dataDir}`, "--storage.tsdb.retention.time=1d", `--web.listen-address=127.0.0.1:${port}`],
  readyWithinMs: 60_000,
  healthyDetail: `PromQL on ${prometheusUrl()}, scraping every service`,
  async prepare() {
    await requireCommand("prometheus", "install Prometheus (apt-get install --no-install-recommends prometheus)");
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(configFile, scrapeConfig());
  },
});
