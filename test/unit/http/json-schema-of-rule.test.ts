/**
 * fastest-validator rules as JSON Schema: each rule type the project uses,
 * its options, and a loud refusal of anything the converter does not know.
 * Rules are also sent through JSON first, as they reach the gateway.
 */
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import Validator from "fastest-validator";
import { jsonSchemaOfProps, jsonSchemaOfRule } from "../../../lib/http/json-schema-of-rule";

const overTheWire = <T>(value: T): unknown => JSON.parse(JSON.stringify(value));

describe("a rule as JSON Schema", () => {
  it.each([
    ["string", { type: "string", min: 1, max: 5, trim: true }, { type: "string", minLength: 1, maxLength: 5 }],
    ["string shorthand", "string|min:1", { type: "string", minLength: 1 }],
    ["email", { type: "email", mode: "precise", normalize: true, max: 254 }, { type: "string", format: "email", maxLength: 254 }],
    ["uuid", "uuid", { type: "string", format: "uuid" }],
    ["date", { type: "date", convert: true }, { type: "string", format: "date-time" }],
    ["number", { type: "number", min: 0.5 }, { type: "number", minimum: 0.5 }],
    ["integer", "number|integer|min:1|max:9", { type: "integer", minimum: 1, maximum: 9 }],
    ["boolean", "boolean", { type: "boolean" }],
    ["enum", { type: "enum", values: ["a", "b"] }, { enum: ["a", "b"] }],
    ["equal", { type: "equal", value: "Bearer", strict: true }, { const: "Bearer" }],
    ["array", { type: "array", min: 1, max: 3, items: "uuid" }, { type: "array", items: { type: "string", format: "uuid" }, minItems: 1, maxItems: 3 }],
    ["record", { type: "record", value: "number" }, { type: "object", additionalProperties: { type: "number" } }],
    ["any", { type: "any" }, {}],
    ["custom, documented", { type: "custom", check: () => true, jsonSchema: { type: "integer", minimum: 1 } }, { type: "integer", minimum: 1 }],
  ])("%s", (_name, rule, expected) => {
    expect(jsonSchemaOfRule(rule, "field")).toEqual(expected);
  });

  it("an object: its props, the required ones (neither optional nor defaulted), and strict", () => {
    const rule = { type: "object", strict: true, props: { a: "string", b: "string|optional", c: { type: "number", default: 1 } } };
    expect(jsonSchemaOfRule(rule, "field")).toEqual({
      type: "object",
      properties: { a: { type: "string" }, b: { type: "string" }, c: { type: "number", default: 1 } },
      required: ["a"],
      additionalProperties: false,
    });
  });

  it("params with $$strict 'remove' admit unknown fields (they are dropped, not refused)", () => {
    expect(jsonSchemaOfProps({ $$strict: "remove", id: "uuid" }, "order.get")).toEqual({
      type: "object",
      properties: { id: { type: "string", format: "uuid" } },
      required: ["id"],
    });
  });

  it("a nullable rule also admits null", () => {
    expect(jsonSchemaOfRule({ type: "string", nullable: true }, "field")).toEqual({ anyOf: [{ type: "string" }, { type: "null" }] });
  });

  it("a pattern: its source, from a RegExp or a string; anything else throws", () => {
    expect(jsonSchemaOfRule({ type: "string", pattern: /^[0-9]+$/ }, "code")).toEqual({ type: "string", pattern: "^[0-9]+$" });
    expect(jsonSchemaOfRule({ type: "string", pattern: "^a" }, "code")).toEqual({ type: "string", pattern: "^a" });
    expect(() => jsonSchemaOfRule({ type: "string", pattern: {} }, "code")).toThrow(/a RegExp or a string/);
  });

  it("a custom rule without its jsonSchema (its check cannot be shown) throws", () => {
    expect(() => jsonSchemaOfRule(overTheWire({ type: "custom", check: () => true }), "id")).toThrow(/custom rule documents itself/);
  });

  it("an unknown rule type, option or schema option throws, naming the field", () => {
    expect(() => jsonSchemaOfRule({ type: "luhn" }, "card")).toThrow('card: the rule type "luhn" has no JSON Schema conversion');
    expect(() => jsonSchemaOfRule("mac", "address")).toThrow('address: the rule type "mac"');
    expect(() => jsonSchemaOfRule({ type: "string", alphanum: true }, "name")).toThrow('name: the option "alphanum" of a string rule');
    expect(() => jsonSchemaOfProps({ $$async: true, a: "string" }, "x.y")).toThrow('x.y: $$async: the schema option "$$async"');
    expect(() => jsonSchemaOfProps({ a: { type: "array", items: { type: "luhn" } } }, "x.y")).toThrow('x.y: a[]: the rule type "luhn"');
  });
});

describe("what the converted schema admits", () => {
  const schema = {
    $$strict: "remove",
    email: { type: "email", max: 254 },
    items: { type: "array", min: 1, items: { type: "object", props: { id: "number|integer|min:1", quantity: { type: "number", integer: true, max: 10 } } } },
    note: { type: "string", optional: true, nullable: true, max: 3 },
    kind: { type: "enum", values: ["gift", "plain"] },
  } as const;
  const fastest = new Validator().compile(schema);
  const ajv = new Ajv2020();
  addFormats(ajv);
  const json = ajv.compile(jsonSchemaOfProps(overTheWire(schema), "sample"));

  it.each([
    ["a valid value", { email: "a@b.co", items: [{ id: 1, quantity: 2 }], kind: "gift" }],
    ["null where nullable", { email: "a@b.co", items: [{ id: 1, quantity: 2 }], note: null, kind: "plain" }],
    ["a bad email", { email: "a@", items: [{ id: 1, quantity: 2 }], kind: "gift" }],
    ["no items", { email: "a@b.co", items: [], kind: "gift" }],
    ["a fractional id", { email: "a@b.co", items: [{ id: 1.5, quantity: 2 }], kind: "gift" }],
    ["too many", { email: "a@b.co", items: [{ id: 1, quantity: 11 }], kind: "gift" }],
    ["a long note", { email: "a@b.co", items: [{ id: 1, quantity: 1 }], note: "four", kind: "gift" }],
    ["another kind", { email: "a@b.co", items: [{ id: 1, quantity: 1 }], kind: "other" }],
    ["a missing field", { items: [{ id: 1, quantity: 1 }], kind: "gift" }],
  ])("is what fastest-validator admits: %s", (_name, value) => {
    expect(json(value)).toBe(fastest(structuredClone(value)) === true);
  });
});
