/**
 * The API document from an alias table and action definitions: where each
 * param goes, which refusals each route gets, and what it does with a route
 * it cannot document (left out while its action is not registered; an error
 * when the code lacks a description).
 */
import { actionDocumentation, type RestDescription } from "../../../lib/http/rest-description";
import { openApiDocument, type ActionDefinition, type RoutedAlias } from "../../../services/api/openapi-document";

const signedIn = { opts: { name: "private", authorization: true, bodyParsers: {}, rateLimit: {} } };
const open = { opts: { name: "public", bodyParsers: false, rateLimit: {} } };
const alias = (method: string, path: string, action: string | null, route: RoutedAlias["route"]): RoutedAlias => ({
  method,
  path,
  fullPath: `/api/v1/${path}`,
  action,
  route,
});
const noteView = { id: "uuid", text: "string" } as const;
const notFound = { status: 404, type: "NOT_FOUND", message: "Note not found" };

const documented = (name: string, params: object, description: RestDescription): [string, ActionDefinition] => [
  name,
  { documentation: actionDocumentation(name, params, description) },
];
const actions = new Map<string, ActionDefinition>([
  documented(
    "note.get",
    { $$strict: "remove", id: "uuid", fields: "string|optional" },
    { summary: "A note", answer: { schema: noteView }, errors: [notFound] },
  ),
  documented("note.edit", { $$strict: "remove", id: "uuid", text: "string|min:1" }, { summary: "Edits a note", answer: { schema: noteView } }),
  documented("note.create", { text: "string" }, { summary: "A new note", answer: { status: 201, schema: noteView } }),
  documented("note.touch", { id: "uuid", text: "string|optional" }, { summary: "Changes what is given", answer: { schema: noteView } }),
]);

function documentOf(aliases: RoutedAlias[], missing: string[] = []) {
  return openApiDocument({ aliases, actions, streams: {}, onMissing: (action) => missing.push(action) }) as { paths: Record<string, Record<string, any>> };
}

const statusesOf = (op: { responses: Record<string, unknown> }) => Object.keys(op.responses);
const typesOf = (op: any, status: number) => op.responses[status].content["application/json"].schema.allOf[1].properties.error.properties.type.enum;

it("a GET's params are its path and query parameters, with their required-ness", () => {
  const op = documentOf([alias("GET", "notes/:id", "note.get", open)]).paths["/api/v1/notes/{id}"].get;
  expect(op.parameters).toEqual([
    { name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } },
    { name: "fields", in: "query", required: false, schema: { type: "string" } },
  ]);
  expect(op.requestBody).toBeUndefined();
  expect(op.security).toBeUndefined();
  expect(statusesOf(op)).toEqual(["200", "404", "422", "429", "503"]);
  expect(typesOf(op, 404)).toEqual(["NOT_FOUND"]);
});

it("a PUT behind a token: the path parameter, the rest as its JSON body, the token's and the body's refusals", () => {
  const op = documentOf([alias("PUT", "notes/:id", "note.edit", signedIn)]).paths["/api/v1/notes/{id}"].put;
  expect(op.parameters).toEqual([{ name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } }]);
  expect(op.requestBody.content["application/json"].schema).toEqual({
    type: "object",
    properties: { text: { type: "string", minLength: 1 } },
    required: ["text"],
  });
  expect(op.security).toEqual([{ bearer: [] }]);
  expect(statusesOf(op)).toEqual(["200", "400", "401", "413", "415", "422", "429", "503"]);
  expect(typesOf(op, 401)).toEqual(["NO_TOKEN", "INVALID_TOKEN"]);
  expect(op.responses[401].content["application/json"].examples.NO_TOKEN.value).toEqual({ error: { status: 401, type: "NO_TOKEN", message: "Unauthorized" } });
});

it("a body whose every field may be left out may itself be left out", () => {
  expect(documentOf([alias("PUT", "notes/:id/touch", "note.touch", signedIn)]).paths["/api/v1/notes/{id}/touch"].put.requestBody.required).toBe(false);
  expect(documentOf([alias("PUT", "notes/:id", "note.edit", signedIn)]).paths["/api/v1/notes/{id}"].put.requestBody.required).toBe(true);
});

it("the success status is the description's", () => {
  const op = documentOf([alias("POST", "notes", "note.create", signedIn)]).paths["/api/v1/notes"].post;
  expect(statusesOf(op)).toContain("201");
  expect(statusesOf(op)).not.toContain("200");
});

it("a route whose action is not registered now is left out, and told", () => {
  const missing: string[] = [];
  const doc = documentOf([alias("GET", "notes/:id", "note.get", open), alias("GET", "drafts", "draft.list", open)], missing);
  expect(Object.keys(doc.paths)).toEqual(["/api/v1/notes/{id}"]);
  expect(missing).toEqual(["draft.list"]);
});

it("routes left out by name are not documented", () => {
  expect(documentOf([alias("GET", "overview", "note.get", { opts: { name: "ops-api" } })]).paths).toEqual({});
});

it("an action without a description, or a function alias without a stream description, is an error", () => {
  const bare = new Map<string, ActionDefinition>([["note.bare", {}]]);
  expect(() => openApiDocument({ aliases: [alias("GET", "bare", "note.bare", open)], actions: bare, streams: {}, onMissing: () => {} })).toThrow(
    "note.bare (GET /api/v1/bare) has no openapi description",
  );
  expect(() => documentOf([alias("GET", "stream", null, open)])).toThrow("GET /api/v1/stream is answered by the gateway and has no StreamRouteDescription");
});

it("a stream route: the params of the action it is like, and that action's view as each event's data", () => {
  const doc = openApiDocument({
    aliases: [alias("GET", "notes/:id/events", null, signedIn)],
    actions,
    streams: { "GET /api/v1/notes/:id/events": { summary: "Changes", like: "note.get", errors: [] } },
    onMissing: () => {},
  }) as { paths: Record<string, Record<string, any>> };
  const op = doc.paths["/api/v1/notes/{id}/events"].get;
  expect(op.summary).toBe("Changes");
  expect(op.responses[200].content["text/event-stream"]["x-event-data"].properties.text).toEqual({ type: "string" });
});
