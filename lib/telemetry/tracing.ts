/**
 * The OpenTelemetry SDK of one service process: a tracer provider that
 * exports to Zipkin or an OTLP collector, W3C trace context for propagation,
 * and the maintained instrumentations of Node's HTTP server, pg and ioredis.
 * Started before the code it instruments is loaded (moleculer.config.ts
 * imports lib/telemetry/start-tracing first). With the exporter `none`
 * nothing starts and the OpenTelemetry API stays a no-op.
 */
import { IncomingMessage } from "node:http";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { IORedisInstrumentation } from "@opentelemetry/instrumentation-ioredis";
import { PgInstrumentation } from "@opentelemetry/instrumentation-pg";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { ZipkinExporter } from "@opentelemetry/exporter-zipkin";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, NodeTracerProvider, ParentBasedSampler, TraceIdRatioBasedSampler, type SpanExporter } from "@opentelemetry/sdk-trace-node";
import { ATTR_HTTP_ROUTE, ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import { routeTemplate } from "../http/route-template";
import type { TracingSettings } from "./tracing-settings";

/** Probes and scrapes: polled all the time, worth no trace. */
const UNTRACED_PATHS = new Set(["/metrics", "/health", "/ready"]);

function exporterFor(settings: TracingSettings): SpanExporter | null {
  switch (settings.exporter) {
    case "zipkin":
      return new ZipkinExporter({ url: `${settings.zipkinUrl.replace(/\/$/, "")}/api/v2/spans`, serviceName: settings.serviceName });
    case "otlp":
      return new OTLPTraceExporter({ url: settings.otlpTracesUrl });
    case "none":
      return null;
  }
}

/** Starts tracing for this process; the returned function flushes and stops it (null when tracing is off). */
export function startTracing(settings: TracingSettings): (() => Promise<void>) | null {
  const exporter = exporterFor(settings);
  if (!exporter) return null;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.samplePercent / 100) }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has((request.url ?? "").split("?")[0]),
        // Outgoing HTTP here is mostly the exporter's own: only inside a trace is it worth a span.
        requireParentforOutgoingSpans: true,
        applyCustomAttributesOnSpan: (span, request) => {
          const route = request instanceof IncomingMessage ? routeTemplate(request) : undefined;
          if (route === undefined) return;
          span.setAttribute(ATTR_HTTP_ROUTE, route);
          span.updateName(`${request.method} ${route}`);
        },
      }),
      // Queries and commands outside any trace (the transporter's Redis traffic, pool upkeep) would each start one of their own.
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  return () => provider.shutdown();
}
