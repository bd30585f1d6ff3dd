/**
 * Log lines as JSON (LOG_FORMAT=json), one object a line, for a log
 * shipper: Moleculer's own json fields plus the active trace and span ids,
 * so a line can be found from its trace in Zipkin and the other way round.
 */
import { context, trace } from "@opentelemetry/api";

type PrintArgs = (args: unknown[]) => unknown[];

export function jsonLogLine(type: string, args: unknown[], bindings: Record<string, unknown>, { printArgs }: { printArgs: PrintArgs }): string[] {
  const span = trace.getSpanContext(context.active());
  return [
    JSON.stringify({
      ts: new Date().toISOString(),
      level: type,
      msg: printArgs(args).join(" "),
      ...bindings,
      ...(span ? { trace_id: span.traceId, span_id: span.spanId } : {}),
    }),
  ];
}
