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
import type { Context } from "moleculer";
import type { PurchaseView } from "../purchase/purchase-view";
import type { AuthenticatedMeta } from "../../lib/auth/authenticated-user";
import { OpenStreams, StreamQuota, type EventStream } from "../../lib/http/event-stream";
import { isFinal } from "../../lib/saga/state";

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
  private readonly streams = new OpenStreams();
  private readonly quota = new StreamQuota(MAX_STREAMS_PER_CUSTOMER);

  publish(view: PurchaseView): void {
    for (const listener of this.listeners.get(view.id) ?? []) listener(view);
  }

  async stream(ctx: Context<unknown, AuthenticatedMeta>, purchaseId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const release = this.quota.take(ctx.meta.user?.id ?? "");
    // Subscribed before the current state is read: changes that arrive meanwhile wait, then go out in order after it.
    let stream: EventStream | undefined;
    const early: PurchaseView[] = [];
    let lastVersion = -1;
    const send = (view: PurchaseView) => {
      if (!stream) return void early.push(view);
      if (view.version <= lastVersion) return;
      lastVersion = view.version;
      stream.send("purchase", view, view.version);
      if (isFinal(view.status)) stream.end();
    };
    this.subscribe(purchaseId, send);
    let resync: NodeJS.Timeout | undefined;
    const stop = () => {
      clearInterval(resync);
      this.unsubscribe(purchaseId, send);
      release();
    };

    // Ownership is the purchase service's: someone else's purchase is a 404 before any byte is sent.
    let current: PurchaseView;
    try {
      current = await ctx.call<PurchaseView, { id: string }>("purchase.get", { id: purchaseId });
    } catch (error) {
      stop();
      throw error;
    }
    stream = this.streams.start(req, res, { lifetimeMs: this.maxStreamMs, onClose: stop });
    send(current);
    for (const view of early.sort((a, b) => a.version - b.version)) send(view);
    if (!stream.ended)
      resync = setInterval(() => void ctx.call<PurchaseView, { id: string }>("purchase.get", { id: purchaseId }).then(send, () => undefined), RESYNC_MS);
  }

  closeAll(): void {
    this.streams.endAll();
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
