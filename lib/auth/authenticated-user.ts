/** What the gateway puts on `ctx.meta.user` for a request with a valid access token. */
export interface AuthenticatedUser {
  id: string;
  role: string;
}

export interface AuthenticatedMeta {
  user?: AuthenticatedUser;
}
