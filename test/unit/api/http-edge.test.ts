import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  MAX_JSON_DEPTH,
  closeServer,
  corsSettings,
  jsonDeeperThan,
  jsonIsObject,
  ownOrigin,
  rateLimitRetryAfter,
  sameOriginIsNotCors,
} from "../../../services/api/http-edge";

const nested = (depth: number) => Buffer.from("[".repeat(depth) + "]".repeat(depth));

describe("jsonDeeperThan", () => {
  it("counts arrays and objects, and only past the bound", () => {
    expect(jsonDeeperThan(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(jsonDeeperThan(nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
    expect(jsonDeeperThan(Buffer.from('{"a":{"b":[{"c":1}]}}'), 3)).toBe(true);
    expect(jsonDeeperThan(Buffer.from('{"a":{"b":[{"c":1}]}}'), 4)).toBe(false);
    expect(jsonDeeperThan(Buffer.from(`${'{"a":'.repeat(5000)}1${"}".repeat(5000)}`), MAX_JSON_DEPTH)).toBe(true);
  });

  it("does not count brackets inside strings, escaped quotes included", () => {
    expect(jsonDeeperThan(Buffer.from(JSON.stringify({ name: "[[[[[[{{{{{{" })), 1)).toBe(false);
    expect(jsonDeeperThan(Buffer.from(JSON.stringify({ name: 'say \\" [[[[ "' })), 1)).toBe(false);
    expect(jsonDeeperThan(Buffer.from(JSON.stringify({ name: "ends with a backslash\\", list: [[1]] })), 2)).toBe(true);
  });
});

describe("jsonIsObject", () => {
  it("is true only when the first byte past whitespace opens an object", () => {
    expect(jsonIsObject(Buffer.from('{"a":1}'))).toBe(true);
    expect(jsonIsObject(Buffer.from(' \n\t {"a":1}'))).toBe(true);
    for (const text of ["[]", "null", '"text"', "1", "true", "", "   "]) expect(jsonIsObject(Buffer.from(text))).toBe(false);
  });
});

describe("corsSettings", () => {
  const headers = ["Content-Type"];

  it("allows no cross-origin access when nothing is configured", () => {
    expect(corsSettings(undefined, headers)).toBeUndefined();
    expect(corsSettings(" , ", headers)).toBeUndefined();
  });

  it("answers `*` literally when any origin is configured", () => {
    expect(corsSettings("*", headers)?.origin).toBe("*");
  });

  it("allows exactly the listed origins: no prefixes, no suffixes, never `null`", () => {
    const origin = corsSettings("https://shop.example.com, https://admin.example.com,null", headers)?.origin as (o: string) => boolean;
    expect(origin("https://shop.example.com")).toBe(true);
    expect(origin("https://admin.example.com")).toBe(true);
    expect(origin("https://shop.example.co")).toBe(false);
    expect(origin("https://shop.example.com.evil.test")).toBe(false);
    expect(origin("null")).toBe(false);
  });
});

describe("rateLimitRetryAfter", () => {
  it("is the seconds left in the window, rounded up, at least one", () => {
    expect(rateLimitRetryAfter(String(10_500), 1_000)).toBe(10);
    expect(rateLimitRetryAfter(10_001, 1_000)).toBe(10);
    expect(rateLimitRetryAfter(500, 1_000)).toBe(1);
    expect(rateLimitRetryAfter(undefined, 1_000)).toBe(1);
    expect(rateLimitRetryAfter("soon", 1_000)).toBe(1);
  });
});

describe("same origin", () => {
  it("is the Host over http, or what a trusted proxy says", () => {
    expect(ownOrigin({ host: "127.0.0.1:3000" }, false)).toBe("http://127.0.0.1:3000");
    const proxied = { host: "api:3000", "x-forwarded-host": "shop.example, inner", "x-forwarded-proto": "https" };
    expect(ownOrigin(proxied, true)).toBe("https://shop.example");
    expect(ownOrigin(proxied, false)).toBe("http://api:3000");
    expect(ownOrigin({}, false)).toBeNull();
  });

  it("drops the Origin of a request from the gateway's own origin, and keeps any other", () => {
    const pass = (headers: Record<string, string>) => {
      const req = { headers: { ...headers } } as IncomingMessage;
      let passed = false;
      sameOriginIsNotCors(false)(req, {} as ServerResponse, () => (passed = true));
      expect(passed).toBe(true);
      return req.headers.origin;
    };
    expect(pass({ host: "127.0.0.1:3000", origin: "http://127.0.0.1:3000" })).toBeUndefined();
    expect(pass({ host: "127.0.0.1:3000", origin: "http://evil.example" })).toBe("http://evil.example");
    expect(pass({ host: "127.0.0.1:3000", origin: "https://127.0.0.1:3000" })).toBe("https://127.0.0.1:3000");
  });
});

describe("closeServer", () => {
  it("ends a server whose request in hand never answers, which close() alone waits on for ever", async () => {
    const server = http.createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const cut = new Promise<Error>((resolve) => http.get({ host: "127.0.0.1", port }).on("error", resolve));
    await waitForConnection(server);

    await closeServer(server, 200);
    expect(server.listening).toBe(false);
    expect((await cut).message).toMatch(/socket hang up|ECONNRESET/);
  });
});

async function waitForConnection(server: http.Server): Promise<void> {
  for (;;) {
    const open = await new Promise<number>((resolve) => server.getConnections((_error, count) => resolve(count)));
    if (open > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
