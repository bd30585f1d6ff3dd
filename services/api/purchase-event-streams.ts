/**
 * Server-Sent Events for a purchase: the first event is its current state,
 * then every change until it ends. Changes arrive as broadcast events; the
 * stream subscribes before reading the current state and drops anything not
 * newer than what it sent (by version), so nothing is lost or sent twice.
 * Broadcasts can still miss a gateway (one that joined a moment ago is not yet
 * known to the purchase node), so each open stream also re-reads the purchase
 * every few seconds: a missed change costs latency, never the stream. A
 * customer holds a bounded number of streams, each for a bounded time.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Errors, type Context } from "moleculer";
import type { PurchaseView } from "../../contracts/purchase-saga";
import type { AuthenticatedMeta } from "../../lib/auth/authenticated-user";
import { isFinal } from "../../lib/saga/state";

const HEARTBEAT_MS = 15_000;
const RESYNC_MS = 3_000;

/** Open streams one customer may hold on one gateway; one more is a 429 (each holds a socket and a re-read every RESYNC_MS). */
export const MAX_STREAMS_PER_CUSTOMER = 10;

/**
 * Longest a stream stays open. A purchase ends in seconds; one parked for an
 * operator may wait for hours, and its watcher need not hold a socket all that
 * time: the stream ends, and a client that reconnects gets the current state first.
 */
export const MAX_STREAM_MS = 5 * 60_000;

export class PurchaseEventStreams {
  constructor(private readonly maxStreamMs = MAX_STREAM_MS) {}

  private readonly listeners = new Map<string, Set<(view: PurchaseView) => void>>();
  private readonly open = new Set<ServerResponse>();
  private readonly openPerCustomer = new Map<string, number>();

  publish(view: PurchaseView): void {
    for (const listener of this.listeners.get(view.id) ?? []) listener(view);
  }

  async stream(ctx: Context<unknown, AuthenticatedMeta>, purchaseId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const customerId = ctx.meta.user?.id ?? "";
    const held = this.openPerCustomer.get(customerId) ?? 0;
    if (held >= MAX_STREAMS_PER_CUSTOMER) {
      throw new Errors.MoleculerClientError(`At most ${MAX_STREAMS_PER_CUSTOMER} event streams may be open at once`, 429, "TOO_MANY_STREAMS");
    }
    this.openPerCustomer.set(customerId, held + 1);
    let lastVersion = -1;
    let ready = false;
    const early: PurchaseView[] = [];
    const send = (view: PurchaseView) => {
      if (view.version <= lastVersion || res.writableEnded) return;
      lastVersion = view.version;
      res.write(`id: ${view.version}\nevent: purchase\ndata: ${JSON.stringify(view)}\n\n`);
      if (isFinal(view.status)) res.end();
    };
    const listener = (view: PurchaseView) => (ready ? send(view) : early.push(view));
    this.subscribe(purchaseId, listener);
    let cleaned = false;
    const cleanup = () => {
      if (cleaned) return;
      cleaned = true;
      const left = (this.openPerCustomer.get(customerId) ?? 1) - 1;
      if (left > 0) this.openPerCustomer.set(customerId, left);
      else this.openPerCustomer.delete(customerId);
      clearInterval(heartbeat);
      clearInterval(resync);
      clearTimeout(lifetime);
      this.unsubscribe(purchaseId, listener);
      this.open.delete(res);
    };
    const heartbeat = setInterval(() => res.writableEnded || res.write(": keep-alive\n\n"), HEARTBEAT_MS);
    const resync = setInterval(() => {
      if (!ready) return;
      ctx.call<PurchaseView, { id: string }>("purchase.get", { id: purchaseId }).then(send, () => undefined);
    }, RESYNC_MS);
    const lifetime = setTimeout(() => res.writableEnded || res.end(), this.maxStreamMs);
    res.once("close", cleanup);
    req.once("close", cleanup);

    // Ownership is the purchase service's: someone else's purchase is a 404 before any byte is sent.
    let current: PurchaseView;
    try {
      current = await ctx.call<PurchaseView, { id: string }>("purchase.get", { id: purchaseId });
    } catch (error) {
      cleanup();
      throw error;
    }
    this.open.add(res);
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache, no-transform",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    });
    send(current);
    ready = true;
    for (const view of early.sort((a, b) => a.version - b.version)) send(view);
  }

  closeAll(): void {
    for (const res of this.open) res.end();
    this.open.clear();
  }

  private subscribe(id: string, listener: (view: PurchaseView) => void): void {
    const set = this.listeners.get(id) ?? new Set();
    set.add(listener);
    this.listeners.set(id, set);
  }

  private unsubscribe(id: string, listener: (view: PurchaseView) => void): void {
    const set = this.listeners.get(id);
    set?.delete(listener);
    if (set?.size === 0) this.listeners.delete(id);
  }
}
