/** The route template a gateway request matched, for span names and metric labels (never the raw path: ids would make every request its own series). */
import type { IncomingMessage } from "node:http";

/** What moleculer-web leaves on a request once it has matched a route and an alias. */
interface RoutedRequest extends IncomingMessage {
  $route?: { path?: string };
  $alias?: { path?: string };
}

/** "/api/v1/purchases/:id", or undefined when no alias matched (a 404, a refused body). */
export function routeTemplate(request: RoutedRequest): string | undefined {
  const alias = request.$alias?.path;
  if (alias === undefined) return undefined;
  const base = request.$route?.path ?? "";
  return `${base.replace(/\/$/, "")}/${alias.replace(/^\//, "")}`;
}
