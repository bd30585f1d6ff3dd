/** A tracer provider that keeps spans in memory, registered for one test file (jest gives each file its own globals). */
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-node";

export function recordSpans(): { spans: () => ReadableSpan[]; reset: () => void } {
  const exporter = new InMemorySpanExporter();
  // Simple, not batched: a span is there as soon as it ends.
  new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();
  return { spans: () => exporter.getFinishedSpans(), reset: () => exporter.reset() };
}
