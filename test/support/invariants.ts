/**
 * The purchase saga's invariants, read from every service's own database,
 * for a set of purchases, the products they bought and their customers:
 * - every saga ended (COMPLETED or FAILED; none running, none parked);
 * - each product's initial stock = its stock + what COMPLETED purchases reserved;
 * - a COMPLETED saga has one APPROVED order and one COMPLETED payment, both for its amount;
 * - a FAILED saga has no live reservation, no live order and no payment that kept the money;
 * - each wallet = initial credit − its COMPLETED payments (declined and refunded ones cost nothing);
 * - the purchase service shows what the saga concluded.
 */
import knex, { type Knex } from "knex";
import { type ServiceDatabase, databaseUrl } from "../../lib/environment";
import { waitUntil } from "./wait";

export interface InvariantScope {
  purchaseIds: string[];
  /** product id → the inventory it was created with (never changed since but by sagas) */
  initialStock: Map<number, number>;
  customerIds: string[];
  initialCredit?: number;
}

export interface InvariantReport {
  completed: number;
  failed: number;
  violations: string[];
}

const connect = (db: ServiceDatabase) => knex({ client: "pg", connection: databaseUrl(db), pool: { min: 0, max: 2 } });

// Purchase ids go as one array parameter: an endurance run's tens of thousands would pass Postgres's 65,535 bind parameters as a list.
async function sagaStates(orchestrator: Knex, ids: string[]): Promise<Map<string, { state: string; amount: number }>> {
  const rows = await orchestrator("saga_instance")
    .whereRaw("id = any(?)", [ids])
    .select("id", "state", orchestrator.raw("(data->>'amount')::bigint as amount"));
  return new Map(rows.map((r) => [r.id, { state: r.state, amount: Number(r.amount) }]));
}

/** Waits for every saga in scope to end, then checks; the report lists each violation found. */
export async function checkPurchaseInvariants(scope: InvariantScope, settleTimeoutMs = 120_000): Promise<InvariantReport> {
  const [orchestrator, product, order, payment, purchase] = (["orchestrator", "product", "order", "payment", "purchase"] as const).map(connect);
  const violations: string[] = [];
  try {
    const ids = scope.purchaseIds;
    const sagas = await waitUntil(
      "every saga in scope to end",
      async () => {
        const states = await sagaStates(orchestrator, ids);
        const settled = ids.every((id) => ["COMPLETED", "FAILED", "NEEDS_ATTENTION"].includes(states.get(id)?.state ?? ""));
        return settled && states;
      },
      settleTimeoutMs,
    );

    const [reservations, orders, payments, purchases] = await Promise.all([
      product("reservations").whereRaw("purchase_id = any(?)", [ids]).select("purchase_id", "status"),
      order("orders").whereRaw("purchase_id = any(?)", [ids]).select("purchase_id", "status", "amount"),
      payment("payments").whereRaw("purchase_id = any(?)", [ids]).select("purchase_id", "status", "amount", "customer_id"),
      purchase("purchases").whereRaw("id = any(?)", [ids]).select("id", "status"),
    ]);
    const byPurchase = <T extends { purchase_id: string }>(rows: T[]) => new Map(rows.map((r) => [r.purchase_id, r]));
    const reservationOf = byPurchase(reservations);
    const orderOf = byPurchase(orders);
    const paymentOf = byPurchase(payments);
    const purchaseStatus = new Map(purchases.map((p) => [p.id, p.status]));

    for (const id of ids) {
      const saga = sagas.get(id);
      if (!saga) {
        violations.push(`purchase ${id}: no saga`);
        continue;
      }
      const [reservation, ord, pay] = [reservationOf.get(id), orderOf.get(id), paymentOf.get(id)];
      if (purchaseStatus.get(id) !== saga.state) violations.push(`purchase ${id}: purchase says ${purchaseStatus.get(id)}, saga says ${saga.state}`);
      if (saga.state === "COMPLETED") {
        if (reservation?.status !== "RESERVED") violations.push(`completed ${id}: reservation ${reservation?.status ?? "missing"}`);
        if (ord?.status !== "APPROVED" || Number(ord.amount) !== saga.amount)
          violations.push(`completed ${id}: order ${ord?.status ?? "missing"} for ${ord?.amount}, saga amount ${saga.amount}`);
        if (pay?.status !== "COMPLETED" || Number(pay.amount) !== saga.amount)
          violations.push(`completed ${id}: payment ${pay?.status ?? "missing"} for ${pay?.amount}, saga amount ${saga.amount}`);
      } else if (saga.state === "FAILED") {
        if (reservation?.status === "RESERVED") violations.push(`failed ${id}: stock still reserved`);
        if (ord && ord.status !== "CANCELLED") violations.push(`failed ${id}: order ${ord.status}`);
        if (pay?.status === "COMPLETED") violations.push(`failed ${id}: payment kept the money`);
      } else {
        violations.push(`purchase ${id}: saga ${saga.state}`);
      }
    }

    const productIds = [...scope.initialStock.keys()];
    const [stocks, sold] = await Promise.all([
      product("products").whereIn("id", productIds).select("id", "inventory"),
      product("reservation_items as i")
        .join("reservations as r", "r.purchase_id", "i.purchase_id")
        .whereIn("i.product_id", productIds)
        .andWhere("r.status", "RESERVED")
        .groupBy("i.product_id")
        .select("i.product_id", product.raw("sum(i.quantity)::int as quantity")),
    ]);
    const soldOf = new Map(sold.map((s) => [Number(s.product_id), Number(s.quantity)]));
    for (const row of stocks) {
      const id = Number(row.id);
      const initial = scope.initialStock.get(id)!;
      if (row.inventory < 0) violations.push(`product ${id}: stock ${row.inventory} below zero`);
      if (initial !== row.inventory + (soldOf.get(id) ?? 0))
        violations.push(`product ${id}: initial ${initial} ≠ stock ${row.inventory} + reserved ${soldOf.get(id) ?? 0}`);
    }

    const credit = scope.initialCredit ?? Number(process.env.WALLET_INITIAL_CREDIT || 100_000_000);
    const [wallets, spent] = await Promise.all([
      payment("wallets").whereIn("customer_id", scope.customerIds).select("customer_id", "balance"),
      payment("payments")
        .whereIn("customer_id", scope.customerIds)
        .andWhere({ status: "COMPLETED" })
        .groupBy("customer_id")
        .select("customer_id", payment.raw("sum(amount)::bigint as total")),
    ]);
    const spentBy = new Map(spent.map((s) => [s.customer_id, Number(s.total)]));
    for (const wallet of wallets) {
      const expected = credit - (spentBy.get(wallet.customer_id) ?? 0);
      if (Number(wallet.balance) !== expected) violations.push(`wallet ${wallet.customer_id}: ${wallet.balance}, expected ${expected}`);
    }

    const states = [...sagas.values()].map((s) => s.state);
    return { completed: states.filter((s) => s === "COMPLETED").length, failed: states.filter((s) => s === "FAILED").length, violations };
  } finally {
    await Promise.all([orchestrator, product, order, payment, purchase].map((db) => db.destroy()));
  }
}
