/** The gateway's own behaviour: probes, CORS, unknown routes, and one JSON error shape everywhere. */
import { api, baseUrl } from "../support/http";

test("health and ready answer; ready names nothing missing", async () => {
  expect((await api("GET", "/health")).body).toEqual({ status: "ok" });
  const ready = await api("GET", "/ready");
  expect(ready.status).toBe(200);
  expect(ready.body).toEqual({ status: "ready" });
});

test("a CORS preflight is answered with the allowed methods and headers", async () => {
  const res = await fetch(`${baseUrl()}/api/v1/purchases`, {
    method: "OPTIONS",
    headers: { origin: "http://shop.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
  });
  expect(res.status).toBeLessThan(300);
  expect(res.headers.get("access-control-allow-origin")).toBe("http://shop.example");
  expect(res.headers.get("access-control-allow-methods")).toMatch(/POST/);
  expect(res.headers.get("access-control-allow-headers")?.toLowerCase()).toMatch(/authorization/);
});

test("an unknown route is a 404 in the JSON error shape, and a malformed bearer header a 401", async () => {
  const missing = await api("GET", "/api/v1/nothing-here");
  expect(missing.status).toBe(404);
  expect(missing.body).toEqual({ error: { status: 404, type: "NOT_FOUND", message: expect.any(String) } });
  const malformed = await api("GET", "/api/v1/account/customer/personal", { headers: { authorization: "Basic dXNlcjpwYXNz" } });
  expect(malformed.status).toBe(401);
  expect(malformed.body.error.status).toBe(401);
});
