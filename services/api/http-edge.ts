/**
 * What the gateway does to every HTTP exchange before and after the actions:
 * bounds on what a body may be, which browsers may call, and the headers every
 * answer carries. Pure where it can be, so the unit tests cover the rules.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";

/** The methods the API answers to: what CORS allows and what a plain OPTIONS lists. */
const ALLOWED_METHODS = ["GET", "POST", "PUT", "OPTIONS"];

/** Deepest nesting of arrays and objects a request body may have; the API's own bodies go three deep. */
export const MAX_JSON_DEPTH = 16;

/** Whether a JSON text nests arrays and objects deeper than `max` (brackets inside strings do not count). */
export function jsonDeeperThan(text: Buffer, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const byte = text[i];
    if (inString) {
      if (byte === 0x5c)
        i++; // a backslash escapes the next byte
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x7b || byte === 0x5b) {
      if (++depth > max) return true;
    } else if (byte === 0x7d || byte === 0x5d) depth--;
  }
  return false;
}

/** Whether a JSON text is an object: its first byte past any whitespace opens one. */
export function jsonIsObject(text: Buffer): boolean {
  for (const byte of text) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    return byte === 0x7b;
  }
  return false;
}

/** A body that is not a JSON object; error-response.ts names body-parser's error types. */
export const notAnObject = () => Object.assign(new Error("The JSON body must be an object"), { status: 400, type: "entity.not.object" });

/** A body nested past MAX_JSON_DEPTH. */
export const tooDeep = () => Object.assign(new Error(`The JSON body nests deeper than ${MAX_JSON_DEPTH} levels`), { status: 400, type: "entity.too.deep" });

/**
 * body-parser's `verify` hook, before the body is parsed: every body of this
 * API is a JSON object (an array would reach an action as no parameters at
 * all), and one nested past MAX_JSON_DEPTH is refused, since what reads it
 * next (the transporter's serializer, the validator) recurses and would
 * overflow the stack.
 */
export function refuseUnfitJson(_req: IncomingMessage, _res: ServerResponse, body: Buffer): void {
  // An empty body is left to the parser, which reads it as {}.
  if (body.length > 0 && !jsonIsObject(body)) throw notAnObject();
  if (jsonDeeperThan(body, MAX_JSON_DEPTH)) throw tooDeep();
}

/**
 * CORS from CORS_ORIGINS: unset, no cross-origin access (the API takes bearer
 * tokens, not cookies, so server-side clients need none); `*`, any origin
 * (answered with `*`, never by echoing it); otherwise a comma-separated list of
 * exact origins. The opaque origin `null` (sandboxed frames, files) is never
 * allowed by name.
 */
export function corsSettings(configured: string | undefined, allowedHeaders: string[]) {
  const origins = (configured ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  if (origins.length === 0) return undefined;
  const allowed = new Set(origins.filter((o) => o !== "null"));
  return {
    origin: origins.includes("*") ? "*" : (origin: string) => allowed.has(origin),
    methods: ALLOWED_METHODS,
    allowedHeaders,
    maxAge: 600,
  };
}

/**
 * The origin a request was sent to: its Host, over http (the gateway serves
 * plain HTTP), or what a trusted proxy in front says it was (X-Forwarded-Proto
 * and -Host, first hop).
 */
export function ownOrigin(headers: IncomingMessage["headers"], trustProxy: boolean): string | null {
  const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value)?.split(",")[0].trim();
  const host = (trustProxy && first(headers["x-forwarded-host"])) || headers.host;
  if (!host) return null;
  const scheme = (trustProxy && first(headers["x-forwarded-proto"])) || "http";
  return `${scheme}://${host}`;
}

/**
 * A page served by the gateway itself (the operator's dashboard) calls it from
 * its own origin, and browsers still send an Origin header on its module
 * script and its POSTs. Same-origin is not cross-origin: the header is dropped,
 * so CORS_ORIGINS governs other sites only.
 */
export function sameOriginIsNotCors(trustProxy: boolean) {
  return (req: IncomingMessage, _res: ServerResponse, next: (error?: Error) => void): void => {
    if (req.headers.origin && req.headers.origin === ownOrigin(req.headers, trustProxy)) delete req.headers.origin;
    next();
  };
}

/**
 * An OPTIONS request that is not a CORS preflight asks what the resource
 * allows: it is answered with Allow and nothing else. moleculer-web would
 * otherwise route it as the GET of the same path and answer with the resource.
 */
export function answerPlainOptions(req: IncomingMessage, res: ServerResponse, next: (error?: Error) => void): void {
  if (req.method === "OPTIONS" && !req.headers["access-control-request-method"]) {
    res.writeHead(204, { Allow: ALLOWED_METHODS.join(", "), "Content-Length": "0" });
    res.end();
    return;
  }
  next();
}

/** On every answer: the body is what its Content-Type says (no sniffing it into HTML or script). */
export function noSniffing(_req: IncomingMessage, res: ServerResponse, next: () => void): void {
  res.setHeader("X-Content-Type-Options", "nosniff");
  next();
}

/** On routes that answer tokens or a customer's own data: no cache, shared or private, keeps a copy. */
export function noStore(_req: IncomingMessage, res: ServerResponse, next: () => void): void {
  res.setHeader("Cache-Control", "no-store");
  next();
}

/** Seconds until the rate-limit window resets (from the X-Rate-Limit-Reset moleculer-web set, ms since the epoch); at least 1. */
export function rateLimitRetryAfter(resetHeader: unknown, now = Date.now()): number {
  const reset = Number(resetHeader);
  return Number.isFinite(reset) && reset > now ? Math.ceil((reset - now) / 1000) : 1;
}

/** How long a stopping gateway lets requests in hand finish before it cuts their connections. */
export const SHUTDOWN_GRACE_MS = 5_000;

/**
 * Stops taking connections and resolves once the open ones are done; a
 * connection still open after `graceMs` (a request that never answers) is
 * cut, so a stop always ends.
 */
export function closeServer(server: Server, graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    const cut = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearTimeout(cut);
      resolve();
    });
  });
}
