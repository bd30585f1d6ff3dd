/**
 * An action's documentation is made on its own node and must come through
 * Moleculer's service info whole: that info keeps an object only where it
 * first meets it, and a rule spread into two fields shares its parts.
 */
import { ServiceBroker, Utils } from "moleculer";
import { ActionDocumentation, actionDocumentation, type RestDescription } from "../../../lib/http/rest-description";
import { decimalInteger } from "../../../lib/validation/decimal-integer";

const id = decimalInteger(1, 10);
const params = { $$strict: "remove", id, parent_id: { ...id, optional: true } } as const;
const description: RestDescription = { summary: "A node", answer: { schema: { id: "number" } } };
const asSent = (value: object) => Utils.safetyObject(value, {}) as { params: typeof params; documentation: ReturnType<typeof actionDocumentation> };

it("comes through the service info whole, where the params' shared parts do not", () => {
  const sent = asSent({ params, documentation: actionDocumentation("tree.get", params, description) });
  expect(sent.params.parent_id).not.toHaveProperty("jsonSchema");
  expect(sent.documentation.params?.properties).toEqual({
    id: { type: "integer", minimum: 1, maximum: 10 },
    parent_id: { type: "integer", minimum: 1, maximum: 10 },
  });
});

it("is given to every described action as its service is created, leaving the schema's own actions as written", async () => {
  const get = { params, openapi: description, handler: () => ({ id: 1 }) };
  const schema = { name: "tree", actions: { get, plain: () => 1 } };
  const broker = new ServiceBroker({ logger: false, middlewares: [ActionDocumentation] });
  broker.createService(schema);
  await broker.start();
  try {
    const listed = broker.registry.getActionList({}).find((action: { name: string }) => action.name === "tree.get");
    expect(listed?.action).toMatchObject({ documentation: { summary: "A node", answer: { status: 200 } } });
    expect(get).not.toHaveProperty("documentation");
  } finally {
    await broker.stop();
  }
});

it("stops a service whose rule the document cannot show", () => {
  const broker = new ServiceBroker({ logger: false, middlewares: [ActionDocumentation] });
  const bad = { params: { at: { type: "luhn" } }, openapi: description, handler: () => ({ id: 1 }) };
  expect(() => broker.createService({ name: "cards", actions: { bad } })).toThrow(/rule type "luhn"/);
});
