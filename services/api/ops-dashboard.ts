/**
 * The operator's dashboard at /ops/: its page (plain files from
 * ops/dashboard, no build step) and its live overview as Server-Sent Events.
 * The page is public, as a login form is; every piece of data behind it is
 * under /ops/api, for the operator role only.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { Errors, type Context } from "moleculer";
import { OPERATOR_ROLE, type AuthenticatedMeta } from "../../lib/auth/authenticated-user";
import { OpenStreams, StreamQuota } from "../../lib/http/event-stream";
import { StaticFiles, readFiles } from "../../lib/http/static-files";

const { MoleculerClientError } = Errors;

const DASHBOARD_DIR = path.join(__dirname, "..", "..", "ops", "dashboard");
/** The page's files and what each is. */
const DASHBOARD_FILES = {
  "index.html": "text/html; charset=utf-8",
  "dashboard.js": "text/javascript; charset=utf-8",
  "dashboard.css": "text/css; charset=utf-8",
} as const;
/** The page's own files only; nothing is fetched from elsewhere. */
const CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** How often an open dashboard gets a fresh overview. */
export const OVERVIEW_EVERY_MS = 2_000;
/** Dashboards one operator may hold open on one gateway. */
export const MAX_DASHBOARD_STREAMS = 5;
/** An overview stream ends after this; the page reconnects. */
export const DASHBOARD_STREAM_MS = 30 * 60_000;

/** 403 for a signed-in account that is not an operator. */
export function refuseNonOperator(ctx: Context<unknown, AuthenticatedMeta>): void {
  const user = ctx.meta.user;
  if (user && user.role !== OPERATOR_ROLE) throw new MoleculerClientError("Only operators may use the operations dashboard", 403, "FORBIDDEN");
}

/** The dashboard's files, read once when the gateway starts. */
export const dashboardFiles = (directory = DASHBOARD_DIR) => new StaticFiles(readFiles(directory, DASHBOARD_FILES), CONTENT_SECURITY_POLICY);

/** Each open dashboard gets the overview (ops.overview) every OVERVIEW_EVERY_MS until it closes. */
export class OverviewStreams {
  private readonly streams = new OpenStreams();
  private readonly quota = new StreamQuota(MAX_DASHBOARD_STREAMS);

  constructor(private readonly lifetimeMs = DASHBOARD_STREAM_MS) {}

  stream(ctx: Context<unknown, AuthenticatedMeta>, req: IncomingMessage, res: ServerResponse): void {
    const release = this.quota.take(ctx.meta.user?.id ?? "");
    let timer: NodeJS.Timeout | undefined;
    const stream = this.streams.start(req, res, {
      lifetimeMs: this.lifetimeMs,
      onClose: () => {
        clearInterval(timer);
        release();
      },
    });
    const push = () =>
      ctx.call("ops.overview").then(
        (overview) => stream.send("overview", overview),
        (error: Error) => stream.send("problem", { message: `the overview could not be read: ${error.message}` }),
      );
    void push();
    if (!stream.ended) timer = setInterval(() => void push(), OVERVIEW_EVERY_MS);
  }

  closeAll(): void {
    this.streams.endAll();
  }
}
