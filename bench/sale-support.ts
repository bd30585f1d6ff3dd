/** What the sale benchmarks share: posting one purchase, waiting for purchases to end, percentiles. */
import knex from "knex";
import { databaseUrl } from "../lib/environment";
import { api } from "../test/support/http";
import { waitUntil } from "../test/support/wait";

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** One purchase of one unit; the purchase id when accepted (202), else the status. */
export async function postPurchase(accessToken: string, productId: number): Promise<{ id: string } | { status: number }> {
  const res = await api("POST", "/api/v1/purchases", {
    token: accessToken,
    body: { order_items: [{ product_id: productId, quantity: 1 }], payment: { currency_code: "VND" } },
  });
  return res.status === 202 ? { id: res.body.id as string } : { status: res.status };
}

export interface EndedPurchase {
  id: string;
  status: "COMPLETED" | "FAILED";
  /** When it became terminal (the row's updated_at), ms since the epoch. */
  endedAt: number;
}

/** Waits until every purchase is COMPLETED or FAILED, read from the purchase database. */
export async function waitForEnd(ids: string[], timeoutMs = 600_000): Promise<EndedPurchase[]> {
  const purchaseDb = knex({ client: "pg", connection: databaseUrl("purchase"), pool: { min: 0, max: 2 } });
  try {
    // Terminal times come from updated_at, so polling slowly costs no precision and spares the shared database.
    const rows = await waitUntil(
      "every purchase to end",
      async () => {
        const found = await purchaseDb("purchases").whereIn("id", ids).whereIn("status", ["COMPLETED", "FAILED"]).select("id", "status", "updated_at");
        return found.length === ids.length && found;
      },
      timeoutMs,
      1_000,
    );
    return rows.map((r) => ({ id: r.id, status: r.status, endedAt: new Date(r.updated_at).getTime() }));
  } finally {
    await purchaseDb.destroy();
  }
}
