/**
 * The API's OpenAPI 3.1 document, derived from what runs: the gateway's alias
 * table (paths, methods, which routes need a token, which read a body) and
 * each routed action's documentation as the registry holds it (its params,
 * answer and refusals, made into JSON Schema on the action's own node from
 * its `params` and `openapi` description: lib/http/rest-description.ts).
 * Read at run time, the document shows what the running actions validate.
 */
import { jsonSchemaOfProps, type JsonSchema, type ObjectSchema } from "../../lib/http/json-schema-of-rule";
import type { ActionDocumentation, DocumentedError } from "../../lib/http/rest-description";
import { errorBodySchema } from "./error-response";
import { GATEWAY_REFUSALS } from "./gateway-refusals";

/** What the document reads of one moleculer-web alias. */
export interface RoutedAlias {
  method: string;
  /** The alias's path within its route: "purchases/:id". */
  path: string;
  fullPath: string;
  /** The action it calls; null for a function alias the gateway answers itself. */
  action: string | null;
  route: { opts: { name?: string; authorization?: boolean; bodyParsers?: unknown; rateLimit?: unknown } };
}

/** What the document reads of a registered action's definition. */
export interface ActionDefinition {
  documentation?: ActionDocumentation;
}

/** A route the gateway answers itself as Server-Sent Events, with the params and view of the action `like`. */
export interface StreamRouteDescription {
  summary: string;
  like: string;
  errors: readonly DocumentedError[];
}

/** Routes left out of the document, by route name, and why. */
export const UNDOCUMENTED_ROUTES: Readonly<Record<string, string>> = {
  probes: "the platform's health and readiness checks, not the client API",
  "ops-api": "the operators' dashboard's data and actions, not the client API",
  "ops-page": "the operators' dashboard's files",
  docs: "this document and its viewer",
};

export interface OpenApiSources {
  aliases: readonly RoutedAlias[];
  /** The registered actions by name; a routed action missing here (not registered now) is left out. */
  actions: ReadonlyMap<string, ActionDefinition>;
  /** The gateway's own routes, by "METHOD /full/path". */
  streams: Readonly<Record<string, StreamRouteDescription>>;
  /** Told of each routed action that is not registered, and so left out. */
  onMissing(action: string): void;
}

const ERROR_REF = { $ref: "#/components/schemas/Error" };
const BEARER = "bearer";
const SUCCESS = { 200: "OK", 201: "Created", 202: "Accepted" } as const;

export function openApiDocument(sources: OpenApiSources): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const alias of sources.aliases) {
    const route = alias.route.opts.name;
    if (route !== undefined && route in UNDOCUMENTED_ROUTES) continue;
    const operation = operationOf(alias, sources);
    if (!operation) continue;
    const template = alias.fullPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
    paths[template] = { ...paths[template], [alias.method.toLowerCase()]: operation };
  }
  return {
    openapi: "3.1.0",
    info: { title: "saga-orchestration API", version: "v1", description: "JSON in snake_case; every error in one shape (Error)." },
    paths,
    components: {
      schemas: { Error: jsonSchemaOfProps(errorBodySchema, "Error") },
      securitySchemes: { [BEARER]: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "The access_token of a token pair" } },
    },
  };
}

function operationOf(alias: RoutedAlias, sources: OpenApiSources): JsonSchema | undefined {
  const key = `${alias.method} ${alias.fullPath}`;
  const stream = alias.action === null ? sources.streams[key] : undefined;
  const actionName = alias.action ?? stream?.like;
  if (actionName === undefined) throw new Error(`${key} is answered by the gateway and has no StreamRouteDescription`);
  const action = sources.actions.get(actionName);
  if (!action) return void sources.onMissing(actionName);
  const description = action.documentation;
  if (!description) throw new Error(`${actionName} (${key}) has no openapi description (lib/http/rest-description.ts)`);

  const pathNames = [...alias.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]);
  const inputs = inputsOf(description.params, actionName, pathNames, alias.method);
  const needsToken = alias.route.opts.authorization === true;
  const refusals = [
    ...(needsToken ? GATEWAY_REFUSALS.token : []),
    ...(inputs.body || inputs.parameters.length > 0 ? GATEWAY_REFUSALS.validation : []),
    ...(inputs.body && alias.route.opts.bodyParsers ? GATEWAY_REFUSALS.body : []),
    ...(alias.route.opts.rateLimit ? GATEWAY_REFUSALS.rateLimit : []),
    ...GATEWAY_REFUSALS.unavailable,
    ...description.errors,
    ...(stream?.errors ?? []),
  ];
  const status = stream ? 200 : description.answer.status;
  const answerSchema = description.answer.schema;
  const success = stream
    ? {
        description: `Server-Sent Events: each event's data is what ${actionName} answers (x-event-data)`,
        content: { "text/event-stream": { schema: { type: "string" }, "x-event-data": answerSchema } },
      }
    : { description: SUCCESS[status], content: { "application/json": { schema: answerSchema } } };
  return {
    summary: stream?.summary ?? description.summary,
    tags: [actionName.split(".")[0]],
    ...(needsToken && { security: [{ [BEARER]: [] }] }),
    ...(inputs.parameters.length > 0 && { parameters: inputs.parameters }),
    ...(inputs.body && { requestBody: { required: (inputs.body.required ?? []).length > 0, content: { "application/json": { schema: inputs.body } } } }),
    responses: { [String(status)]: success, ...errorResponses(refusals) },
  };
}

/** The action's params as the request carries them: path parameters, then the query (GET) or a JSON body. */
function inputsOf(
  schema: ObjectSchema | undefined,
  actionName: string,
  pathNames: string[],
  method: string,
): { parameters: JsonSchema[]; body?: ObjectSchema } {
  if (schema === undefined) return { parameters: [] };
  const { properties, required = [] } = schema;
  const parameter = (name: string, where: "path" | "query") => ({
    name,
    in: where,
    required: where === "path" || required.includes(name),
    schema: properties[name],
  });
  const missing = pathNames.filter((name) => !(name in properties));
  if (missing.length > 0) throw new Error(`${actionName}: the path parameter(s) ${missing.join(", ")} are not in its params`);
  const others = Object.keys(properties).filter((name) => !pathNames.includes(name));
  const parameters = pathNames.map((name) => parameter(name, "path"));
  if (method === "GET") return { parameters: [...parameters, ...others.map((name) => parameter(name, "query"))] };
  if (others.length === 0) return { parameters };
  const bodyProperties = Object.fromEntries(others.map((name) => [name, properties[name]]));
  return { parameters, body: { ...schema, properties: bodyProperties, required: required.filter((name) => others.includes(name)) } };
}

/** One response per status: the Error shape with that status and the types it may carry, one example each. */
function errorResponses(refusals: readonly DocumentedError[]): Record<string, JsonSchema> {
  const byStatus = new Map<number, DocumentedError[]>();
  for (const refusal of refusals) byStatus.set(refusal.status, [...(byStatus.get(refusal.status) ?? []), refusal]);
  const responses: Record<string, JsonSchema> = {};
  for (const [status, errors] of [...byStatus].sort(([a], [b]) => a - b)) {
    const types = [...new Set(errors.map((e) => e.type))];
    responses[String(status)] = {
      description: types.join(", "),
      content: {
        "application/json": {
          schema: { allOf: [ERROR_REF, { properties: { error: { properties: { status: { const: status }, type: { enum: types } } } } }] },
          examples: Object.fromEntries(errors.map((error) => [error.type, { value: { error } }])),
        },
      },
    };
  }
  return responses;
}
