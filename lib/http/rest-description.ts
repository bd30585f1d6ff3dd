/**
 * What the API document says of an action beyond its `params`: set as the
 * action's `openapi` field, it travels with the action's definition in the
 * service info, and the gateway builds /api/v1/openapi.json from it.
 */
import type { Errors } from "moleculer";
import type { MessageSchema } from "../messages/message-declaration";

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

/** The answer of a list: one page of `item`s, and how many there are in all. */
export function listPageSchema<const Item extends MessageSchema>(item: Item) {
  return {
    items: { type: "array", items: { type: "object", props: item } },
    page: { type: "number", integer: true, min: 1 },
    page_size: { type: "number", integer: true, min: 1 },
    total: { type: "number", integer: true, min: 0 },
  } as const;
}

/** An error an action throws, as the document shows it: the same status, type and message. */
export function documentedError(error: Errors.MoleculerError): DocumentedError {
  return { status: error.code, type: error.type, message: error.message };
}
