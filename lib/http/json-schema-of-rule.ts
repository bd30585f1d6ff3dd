/**
 * fastest-validator rules as JSON Schema 2020-12, for the API's OpenAPI
 * document. Only the rule types and options this project's schemas use are
 * known: any other throws, so a new rule cannot silently document nothing.
 *
 * Rules are converted on the node that runs the action (rest-description.ts),
 * so a RegExp pattern is still one; a custom rule documents itself with the
 * JSON Schema it declares in a `jsonSchema` field (its check is code, which
 * no document can show).
 */

export type JsonSchema = { [keyword: string]: unknown };

/** The schema of an object of fields: what an action's params and a view's props become. */
export interface ObjectSchema extends JsonSchema {
  type: "object";
  properties: Record<string, JsonSchema>;
  required?: string[];
}

type RuleObject = { type: string; [option: string]: unknown };

/** How one rule type reads: its schema, and which of its options map to which keyword. */
interface RuleType {
  schema(rule: RuleObject, field: string): JsonSchema;
  /** Options read by `schema` itself. */
  reads?: readonly string[];
  /** Options that are a JSON Schema keyword under another name. */
  keywords?: Readonly<Record<string, string>>;
}

/** Options any rule may have that change nothing a document shows: error texts, conversions, normalisation. */
const SILENT_OPTIONS = new Set(["type", "optional", "default", "nullable", "messages", "convert", "trim", "uppercase", "lowercase", "normalize", "mode"]);

const RULE_TYPES: Readonly<Record<string, RuleType>> = {
  string: { schema: (rule, field) => ({ type: "string", ...patternOf(rule, field) }), reads: ["pattern"], keywords: { min: "minLength", max: "maxLength" } },
  email: { schema: () => ({ type: "string", format: "email" }), keywords: { max: "maxLength" } },
  uuid: { schema: () => ({ type: "string", format: "uuid" }) },
  // A date travels as its ISO 8601 text (the type Infer reads off the rule is string).
  date: { schema: () => ({ type: "string", format: "date-time" }) },
  number: { schema: (rule) => ({ type: rule.integer ? "integer" : "number" }), reads: ["integer"], keywords: { min: "minimum", max: "maximum" } },
  boolean: { schema: () => ({ type: "boolean" }) },
  enum: { schema: (rule) => ({ enum: rule.values }), reads: ["values"] },
  equal: { schema: (rule) => ({ const: rule.value }), reads: ["value", "strict"] },
  array: {
    schema: (rule, field) => ({ type: "array", items: jsonSchemaOfRule(rule.items, `${field}[]`) }),
    reads: ["items"],
    keywords: { min: "minItems", max: "maxItems" },
  },
  object: { schema: (rule, field) => objectSchema(rule.props, rule.strict, field), reads: ["props", "strict"] },
  record: { schema: (rule, field) => ({ type: "object", additionalProperties: jsonSchemaOfRule(rule.value, `${field}{}`) }), reads: ["value"] },
  any: { schema: () => ({}) },
  custom: { schema: customSchema, reads: ["jsonSchema", "check"] },
};

/** The JSON Schema of one rule, in its short (`"string|min:1"`) or its object form; `field` is its path ("payment.currency_code"). */
export function jsonSchemaOfRule(rule: unknown, field: string): JsonSchema {
  const object = ruleObject(rule, field);
  const ruleType = RULE_TYPES[object.type];
  if (!ruleType) throw new Error(`${field}: the rule type "${object.type}" has no JSON Schema conversion (lib/http/json-schema-of-rule.ts)`);
  const schema = ruleType.schema(object, field);
  for (const [option, value] of Object.entries(object)) {
    const keyword = ruleType.keywords?.[option];
    if (keyword) schema[keyword] = value;
    else if (!SILENT_OPTIONS.has(option) && !ruleType.reads?.includes(option)) {
      throw new Error(`${field}: the option "${option}" of a ${object.type} rule has no JSON Schema conversion (lib/http/json-schema-of-rule.ts)`);
    }
  }
  if (object.default !== undefined) schema.default = object.default;
  return object.nullable === true ? { anyOf: [schema, { type: "null" }] } : schema;
}

/** The JSON Schema of an action's `params` or a view's props: an object of those fields; `owner` (an action) names it in errors. */
export function jsonSchemaOfProps(props: unknown, owner: string): ObjectSchema {
  if (!isRecord(props)) throw new Error(`${owner}: expected an object of fields, got ${JSON.stringify(props)}`);
  const { $$strict: strict, ...fields } = props;
  try {
    return objectSchema(fields, strict, "");
  } catch (error) {
    throw new Error(`${owner}: ${(error as Error).message}`);
  }
}

/** Whether a rule lets its field be left out (the validator then leaves it out, or fills in its default). */
function isOptionalRule(rule: unknown, field: string): boolean {
  const object = ruleObject(rule, field);
  return object.optional === true || object.default !== undefined;
}

function objectSchema(props: unknown, strict: unknown, field: string): ObjectSchema {
  if (!isRecord(props)) throw new Error(`${field}: an object rule needs props`);
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [name, rule] of Object.entries(props)) {
    const path = field ? `${field}.${name}` : name;
    if (name.startsWith("$$")) throw new Error(`${path}: the schema option "${name}" has no JSON Schema conversion (lib/http/json-schema-of-rule.ts)`);
    properties[name] = jsonSchemaOfRule(rule, path);
    if (!isOptionalRule(rule, path)) required.push(name);
  }
  // strict "remove" drops unknown fields and a missing strict ignores them: only `true` refuses them.
  return { type: "object", properties, ...(required.length > 0 && { required }), ...(strict === true && { additionalProperties: false }) };
}

/** `"number|integer|min:1|optional"` → `{ type: "number", integer: true, min: 1, optional: true }`. */
function ruleObject(rule: unknown, field: string): RuleObject {
  if (typeof rule === "string") {
    const [type, ...options] = rule.split("|");
    const object: RuleObject = { type };
    for (const option of options) {
      const [name, value] = option.split(":");
      object[name] = value === undefined ? true : Number.isNaN(Number(value)) ? value : Number(value);
    }
    return object;
  }
  if (isRecord(rule) && typeof rule.type === "string") return { ...rule, type: rule.type };
  throw new Error(`${field}: not a fastest-validator rule: ${JSON.stringify(rule)}`);
}

/** A pattern as JSON Schema has it: its source. */
function patternOf(rule: RuleObject, field: string): JsonSchema {
  const { pattern } = rule;
  if (pattern === undefined) return {};
  if (typeof pattern === "string") return { pattern };
  if (pattern instanceof RegExp) return { pattern: pattern.source };
  throw new Error(`${field}: a pattern is a RegExp or a string, not ${JSON.stringify(pattern)}`);
}

function customSchema(rule: RuleObject, field: string): JsonSchema {
  if (!isRecord(rule.jsonSchema)) throw new Error(`${field}: a custom rule documents itself with a jsonSchema field`);
  return { ...rule.jsonSchema };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
