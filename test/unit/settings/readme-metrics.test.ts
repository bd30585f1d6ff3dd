/** The README's metrics table against lib/metrics/shop-metrics.ts: the same names, types and labels, none missing, none extra. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { SHOP_METRICS } from "../../../lib/metrics/shop-metrics";

const readme = readFileSync(path.resolve(__dirname, "..", "..", "..", "README.md"), "utf8");

/** The rows of the table under "### Metrics": name → "type | labels". */
function documented(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const match of readme.matchAll(/^\| `(shop_[a-z_]+)` \| (\w+) \| ([^|]*) \|/gm)) rows.set(match[1], `${match[2]} | ${match[3].trim()}`);
  return rows;
}

const prometheusName = (name: string) => name.replace(/[.-]/g, "_");

test("every shop metric is in the README with its type and labels, and the README lists no other", () => {
  const expected = new Map(Object.values(SHOP_METRICS).map((m) => [prometheusName(m.name), `${m.type} | ${m.labelNames.join(", ")}`]));
  expect(Object.fromEntries(documented())).toEqual(Object.fromEntries(expected));
});
