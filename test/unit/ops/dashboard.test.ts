/** The compose monitoring files against the code: the dashboard asks only for metrics the services serve, and Prometheus scrapes every service. */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { SHOP_METRICS } from "../../../lib/metrics/shop-metrics";

const repoRoot = path.resolve(__dirname, "..", "..", "..");
const read = (file: string) => readFileSync(path.join(repoRoot, file), "utf8");

interface Dashboard {
  panels: { title: string; targets: { expr: string }[] }[];
}

const served = new Set(Object.values(SHOP_METRICS).map((m) => m.name.replace(/[.-]/g, "_")));
/** A histogram is asked for by its series (_bucket, _sum, _count). */
const metricOf = (series: string) => series.replace(/_(bucket|sum|count)$/, "");

test("every query of the dashboard names shop metrics the services serve", () => {
  const dashboard = JSON.parse(read("ops/grafana/dashboards/shop.json")) as Dashboard;
  const asked = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\bshop_[a-z_]+/g)].map((m) => metricOf(m[0]))));
  expect(asked.length).toBeGreaterThan(10);
  expect(asked.filter((name) => !served.has(name))).toEqual([]);
});

test("compose's Prometheus scrapes every service", () => {
  const services = readdirSync(path.join(repoRoot, "services"), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const targets = [...read("ops/prometheus/prometheus.yml").matchAll(/targets: \["([a-z]+):3030"\]/g)].map((m) => m[1]).sort();
  expect(targets).toEqual(services);
});
