/**
 * A message on the wire, declared once: its type name, the Kafka topic it
 * travels on, and the fastest-validator schema of its payload. The payload's
 * TypeScript type is derived from the schema (PayloadOf), and consumers
 * compile the same schema into the check a message must pass before it is
 * applied, so the type a producer writes and the check a consumer runs
 * cannot drift apart.
 *
 * Schemas are written in the subset of fastest-validator below, as literals
 * (`as const`), so that the type can be read off them.
 */

/** A string rule in its short form: `"uuid"`, `"string|min:1"`, `"email"`. */
type StringShorthand = `uuid${string}` | `string${string}` | `email${string}`;
/** A number rule in its short form: `"number|integer|min:0"`. */
type NumberShorthand = `number${string}`;

interface RuleOptions {
  optional?: boolean;
  nullable?: boolean;
}

export type FieldRule =
  | StringShorthand
  | NumberShorthand
  | "boolean"
  | (RuleOptions & { type: "uuid" | "string" | "email" | "date"; [option: string]: unknown })
  | (RuleOptions & { type: "number"; [option: string]: unknown })
  | (RuleOptions & { type: "boolean"; [option: string]: unknown })
  | (RuleOptions & { type: "enum"; values: readonly string[] })
  | (RuleOptions & { type: "equal"; value: string | number | boolean; strict?: boolean })
  | (RuleOptions & { type: "array"; items: FieldRule; [option: string]: unknown })
  | (RuleOptions & { type: "object"; props: MessageSchema; strict?: boolean | "remove" })
  | (RuleOptions & { type: "record"; value: FieldRule })
  | (RuleOptions & { type: "any" });

/** The fields of a payload: each one's rule. */
export interface MessageSchema {
  readonly [field: string]: FieldRule;
}

/** The value a rule admits. */
export type ValueOf<Rule> = Rule extends { nullable: true } ? BareValueOf<Rule> | null : BareValueOf<Rule>;

type BareValueOf<Rule> = Rule extends StringShorthand
  ? string
  : Rule extends NumberShorthand
    ? number
    : Rule extends "boolean"
      ? boolean
      : Rule extends { type: "uuid" | "string" | "email" | "date" }
        ? string
        : Rule extends { type: "number" }
          ? number
          : Rule extends { type: "boolean" }
            ? boolean
            : Rule extends { type: "enum"; values: readonly (infer Value)[] }
              ? Value
              : Rule extends { type: "equal"; value: infer Value }
                ? Value
                : Rule extends { type: "array"; items: infer Item }
                  ? ValueOf<Item>[]
                  : Rule extends { type: "object"; props: infer Props }
                    ? Infer<Props>
                    : Rule extends { type: "record"; value: infer Value }
                      ? Record<string, ValueOf<Value>>
                      : Rule extends { type: "any" }
                        ? unknown
                        : never;

type OptionalFields<Schema> = { [Field in keyof Schema]: Schema[Field] extends { optional: true } ? Field : never }[keyof Schema];

/** The object a schema admits: optional fields may be missing. */
export type Infer<Schema> = Flat<
  { -readonly [Field in Exclude<keyof Schema, OptionalFields<Schema>>]: ValueOf<Schema[Field]> } & {
    -readonly [Field in OptionalFields<Schema>]?: ValueOf<Schema[Field]>;
  }
>;

type Flat<T> = { [K in keyof T]: T[K] };

export interface MessageDeclaration<Name extends string = string, Payload = unknown> {
  /** The message's type: the `type` header on Kafka, and the key its consumer's handler is found by. */
  readonly name: Name;
  /** The topic it is published to. */
  readonly topic: string;
  readonly schema: MessageSchema;
  /** Never set: carries the payload's type for PayloadOf. */
  readonly payloadType?: Payload;
}

/** The payload type of a declared message. */
export type PayloadOf<Declaration> = Declaration extends MessageDeclaration<string, infer Payload> ? Payload : never;

/** A declared message as a producer hands it over: its type and its payload. */
export interface Message<Declaration extends MessageDeclaration = MessageDeclaration> {
  type: Declaration["name"];
  payload: PayloadOf<Declaration>;
}

export function declareMessage<const Name extends string, const Schema extends MessageSchema>(
  name: Name,
  topic: string,
  schema: Schema,
): MessageDeclaration<Name, Infer<Schema>> {
  return Object.freeze({ name, topic, schema });
}

/** The message `declaration` with this payload; the compiler holds the payload to the declared type. */
export function messageOf<Declaration extends MessageDeclaration>(declaration: Declaration, payload: PayloadOf<Declaration>): Message<Declaration> {
  return { type: declaration.name, payload };
}

/** A declared message as it goes into an outbox: on its declared topic (or `topic`, a test's private one), under `key`. */
export function publication<Declaration extends MessageDeclaration>(
  declaration: Declaration,
  key: string,
  payload: PayloadOf<Declaration>,
  topic = declaration.topic,
): { topic: string; key: string } & Message<Declaration> {
  return { topic, key, type: declaration.name, payload };
}
