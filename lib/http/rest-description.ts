/**
 * What the API document says of an action beyond its `params`: set as the
 * action's `openapi` field. Each node turns it, with the params, into JSON
 * Schema when it creates the service (ActionDocumentation below), and the
 * gateway builds /api/v1/openapi.json from what the registry then holds.
 */
import type { ActionSchema, Errors, Middleware, ServiceSchema } from "moleculer";
import type { MessageSchema } from "../messages/message-declaration";
import { jsonSchemaOfProps, type ObjectSchema } from "./json-schema-of-rule";

/** A refusal as the client sees it: its status, its `type`, and a message for the example. */
export interface DocumentedError {
  status: number;
  type: string;
  message: string;
}

export interface RestDescription {
  summary: string;
  /** The success answer: its status (200 unless said) and the view's schema, the one its TypeScript type is read off. */
  answer: { status?: 200 | 201 | 202; schema: MessageSchema };
  /** The action's own refusals; the gateway adds its own (token, validation, rate limit, outage, unreadable body). */
  errors?: readonly DocumentedError[];
}

/** An action as the API document reads it: its description with its params and answer in JSON Schema. */
export interface ActionDocumentation {
  summary: string;
  params?: ObjectSchema;
  answer: { status: 200 | 201 | 202; schema: ObjectSchema };
  errors: DocumentedError[];
}

/** An error an action throws, as the document shows it: the same status, type and message. */
export function documentedError(error: Errors.MoleculerError): DocumentedError {
  return { status: error.code, type: error.type, message: error.message };
}

/**
 * The action's documentation, converted where its rules are whole (a RegExp,
 * a custom rule's declared schema). Built afresh as plain JSON: Moleculer's
 * service info keeps an object only where it first meets it in a node's info
 * (utils.safetyObject), and rules spread into several fields share theirs.
 */
export function actionDocumentation(name: string, params: unknown, description: RestDescription): ActionDocumentation {
  const documentation: ActionDocumentation = {
    summary: description.summary,
    ...(params !== undefined && { params: jsonSchemaOfProps(params, name) }),
    answer: { status: description.answer.status ?? 200, schema: jsonSchemaOfProps(description.answer.schema, `${name} answer`) },
    errors: [...(description.errors ?? [])],
  };
  return JSON.parse(JSON.stringify(documentation)) as ActionDocumentation;
}

type ActionWithDescription = ActionSchema & { openapi: RestDescription };

function isDescribed(action: unknown): action is ActionWithDescription {
  return typeof action === "object" && action !== null && "openapi" in action;
}

/**
 * Gives every described action its `documentation` as its service is created,
 * on its own node; a rule the document cannot show stops the service there.
 */
export const ActionDocumentation: Middleware = {
  serviceCreating(_service: unknown, schema: ServiceSchema) {
    for (const [name, action] of Object.entries(schema.actions ?? {})) {
      if (!isDescribed(action)) continue;
      // A new action object: the schema may be a module's, created again by another broker (tests), so its actions stay as written.
      const described: ActionWithDescription = action;
      schema.actions![name] = { ...described, documentation: actionDocumentation(`${schema.name}.${name}`, described.params, described.openapi) };
    }
  },
};
