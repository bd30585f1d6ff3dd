import type { IncomingMessage } from "node:http";
import { routeTemplate } from "../../../lib/http/route-template";
import { readTracingSettings } from "../../../lib/telemetry/tracing-settings";

describe("readTracingSettings", () => {
  it("is off by default, and every new trace is kept once it is on", () => {
    expect(readTracingSettings({})).toMatchObject({ exporter: "none", samplePercent: 100, serviceName: "saga" });
  });

  it("takes an exporter, its URL, a sampling percent and a service name", () => {
    const settings = readTracingSettings({
      TRACE_EXPORTER: "otlp",
      OTLP_TRACES_URL: "http://collector:4318/v1/traces",
      TRACE_SAMPLE_PERCENT: "10",
      OTEL_SERVICE_NAME: "order",
    });
    expect(settings).toMatchObject({ exporter: "otlp", otlpTracesUrl: "http://collector:4318/v1/traces", samplePercent: 10, serviceName: "order" });
  });

  it.each([
    ["TRACE_EXPORTER", "jaeger"],
    ["TRACE_SAMPLE_PERCENT", "0"],
    ["TRACE_SAMPLE_PERCENT", "150"],
    ["ZIPKIN_URL", "zipkin:9411"],
  ])("refuses %s=%s by name", (name, value) => {
    expect(() => readTracingSettings({ [name]: value })).toThrow(name);
  });
});

describe("routeTemplate", () => {
  const request = (route?: string, alias?: string) =>
    Object.assign({} as IncomingMessage, {
      $route: route === undefined ? undefined : { path: route },
      $alias: alias === undefined ? undefined : { path: alias },
    });

  it("joins the route's path and the alias's, never the ids in the URL", () => {
    expect(routeTemplate(request("/api/v1", "purchases/:id"))).toBe("/api/v1/purchases/:id");
    expect(routeTemplate(request("/", "health"))).toBe("/health");
  });

  it("has none for a request no alias matched", () => {
    expect(routeTemplate(request("/api/v1"))).toBeUndefined();
  });
});
