/**
 * Server-Sent Events plumbing shared by the gateway's streams: a per-client
 * quota of open streams, and a response that keeps itself alive with comment
 * lines, ends after a bounded lifetime, and runs its clean-up exactly once
 * however it ends (finished, timed out, client gone, gateway stopping).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Errors } from "moleculer";

const HEARTBEAT_MS = 15_000;

/** The 429 for one stream more than a client may hold. */
export const tooManyStreams = (max: number) => new Errors.MoleculerClientError(`At most ${max} event streams may be open at once`, 429, "TOO_MANY_STREAMS");

/** Open streams per client (a customer, an operator): one more is a 429. */
export class StreamQuota {
  private readonly open = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Takes one stream for `client`; the function it returns gives it back (once). */
  take(client: string): () => void {
    const held = this.open.get(client) ?? 0;
    if (held >= this.max) throw tooManyStreams(this.max);
    this.open.set(client, held + 1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const left = (this.open.get(client) ?? 1) - 1;
      if (left > 0) this.open.set(client, left);
      else this.open.delete(client);
    };
  }
}

export interface EventStream {
  /** Writes one event (nothing once the stream has ended). */
  send(event: string, data: unknown, id?: number): void;
  end(): void;
  readonly ended: boolean;
}

/** Every stream a gateway holds, so that stopping it can end them all. */
export class OpenStreams {
  private readonly open = new Set<EventStream>();

  /**
   * Starts the event stream on `res` (status 200 and SSE headers) and calls
   * `onClose` once when it ends. A client already gone ends it at once.
   */
  start(req: IncomingMessage, res: ServerResponse, options: { lifetimeMs: number; onClose: () => void }): EventStream {
    let ended = false;
    const stream: EventStream = {
      send(event, data, id) {
        if (ended || res.writableEnded) return;
        res.write(`${id === undefined ? "" : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      },
      end() {
        if (!res.writableEnded) res.end();
        close();
      },
      get ended() {
        return ended;
      },
    };
    const close = () => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      clearTimeout(lifetime);
      this.open.delete(stream);
      options.onClose();
    };
    const heartbeat = setInterval(() => res.writableEnded || res.write(": keep-alive\n\n"), HEARTBEAT_MS);
    const lifetime = setTimeout(() => stream.end(), options.lifetimeMs);
    res.once("close", close);
    req.once("close", close);
    this.open.add(stream);
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache, no-transform",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    });
    if (req.destroyed || res.destroyed) close();
    return stream;
  }

  endAll(): void {
    for (const stream of [...this.open]) stream.end();
  }
}
