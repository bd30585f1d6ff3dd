/** What the gateway puts on `ctx.meta.user` for a request with a valid access token. */
import { Errors, type Context } from "moleculer";
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

/**
 * The signed-in caller of an action that acts for one. A call without one
 * (a route that forgot `authorization`, a call from another node) gets what
 * the gateway answers a request without a token: 401 NO_TOKEN, in every service.
 */
export function callerOf(ctx: Context<unknown, AuthenticatedMeta>): AuthenticatedUser {
  if (!ctx.meta.user) throw new Errors.MoleculerClientError("Authentication required", 401, "NO_TOKEN");
  return ctx.meta.user;
}
