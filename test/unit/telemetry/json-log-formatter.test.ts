import { trace } from "@opentelemetry/api";
import { jsonLogLine } from "../../../lib/telemetry/json-log-formatter";
import { recordSpans } from "./tracing-harness";

recordSpans();
const printArgs = (args: unknown[]) => args.map((a) => (typeof a === "object" ? JSON.stringify(a) : a));

describe("jsonLogLine", () => {
  it("writes one JSON object with the level, message and bindings", () => {
    const [line] = jsonLogLine("warn", ["retrying", { attempt: 2 }], { nodeID: "order-1", mod: "order" }, { printArgs });
    expect(JSON.parse(line)).toMatchObject({ level: "warn", msg: 'retrying {"attempt":2}', nodeID: "order-1", mod: "order" });
    expect(JSON.parse(line)).not.toHaveProperty("trace_id");
  });

  it("carries the active span's trace and span ids", () => {
    trace.getTracer("test").startActiveSpan("work", (span) => {
      const [line] = jsonLogLine("info", ["inside"], {}, { printArgs });
      expect(JSON.parse(line)).toMatchObject({ trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId });
      span.end();
    });
  });
});
