/** What the gateway puts on `ctx.meta.user` for a request with a valid access token. */
import type { Context } from "moleculer";
import type { Role } from "./token-service";

export interface AuthenticatedUser {
  id: string;
  role: string;
}

export interface AuthenticatedMeta {
  user?: AuthenticatedUser;
}

/** The role of the people who run the shop: the operator's dashboard and console, and the catalog in production. */
export const OPERATOR_ROLE: Role = "admin";

/**
 * Who asked for an operator action, for logs: the signed-in account behind
 * the dashboard, else the calling node (the console's node id names its user).
 */
export const operatorOf = (ctx: Context<unknown, AuthenticatedMeta>): string => ctx.meta.user?.id ?? `node ${ctx.nodeID}`;
