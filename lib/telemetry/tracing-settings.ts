/** Where traces go, and how many: read from the environment; a bad value stops the service at start. */
import { LOCAL_STACK } from "../environment";
import { choiceSetting, integerSetting, textSetting, type Environment } from "../settings/settings";

export const TRACE_EXPORTERS = ["none", "zipkin", "otlp"] as const;
export type TraceExporter = (typeof TRACE_EXPORTERS)[number];

export interface TracingSettings {
  /** none: no SDK is started, and the OpenTelemetry API stays a no-op (outbox rows carry no traceparent). */
  exporter: TraceExporter;
  /** The Zipkin server's base URL; spans go to its /api/v2/spans. */
  zipkinUrl: string;
  /** An OTLP/HTTP collector's traces endpoint (Jaeger, the OpenTelemetry Collector). */
  otlpTracesUrl: string;
  /** Percent of new traces kept; a trace that arrives sampled (a traceparent header) is kept whatever this says. */
  samplePercent: number;
  /** The service name spans carry: OTEL_SERVICE_NAME, else the fallback (start-tracing passes the service file's name). */
  serviceName: string;
}

const URL_PATTERN = /^https?:\/\/[^\s]+$/;

export function readTracingSettings(env: Environment = process.env, serviceNameFallback = "saga"): TracingSettings {
  return {
    exporter: choiceSetting(env, "TRACE_EXPORTER", "none", TRACE_EXPORTERS),
    zipkinUrl: textSetting(env, "ZIPKIN_URL", `http://127.0.0.1:${LOCAL_STACK.zipkinPort}`, URL_PATTERN, "an http(s) URL"),
    otlpTracesUrl: textSetting(env, "OTLP_TRACES_URL", "http://127.0.0.1:4318/v1/traces", URL_PATTERN, "an http(s) URL"),
    samplePercent: integerSetting(env, "TRACE_SAMPLE_PERCENT", 100, 1, 100),
    serviceName: textSetting(env, "OTEL_SERVICE_NAME", serviceNameFallback, /^[A-Za-z0-9._-]{1,64}$/, "letters, digits, '.', '_' or '-' (at most 64)"),
  };
}
