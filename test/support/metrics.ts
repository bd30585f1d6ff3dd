/** Reading the services' Prometheus metrics, as a scrape sees them. */
import { metricsPortOf } from "../../stack/services";

/** One service's /metrics page. */
export async function scrape(service: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${metricsPortOf(service)}/metrics`);
  if (res.status !== 200) throw new Error(`${service}'s /metrics answered ${res.status}`);
  return res.text();
}

/** The sum of every series of `name` whose labels include `labels`, in one service's scrape (0 when there is none yet). */
export async function metricValue(service: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  let sum = 0;
  for (const match of (await scrape(service)).matchAll(new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`, "gm"))) {
    const series = Object.fromEntries([...(match[1] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => series[key] === value)) sum += Number(match[2]);
  }
  return sum;
}
