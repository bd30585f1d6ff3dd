/**
 * Imported first by moleculer.config.ts, so the SDK is in place before pg,
 * ioredis and the HTTP server are loaded and used. `stopTracing` flushes
 * what is still buffered; it is null when tracing is off (TRACE_EXPORTER=none).
 */
import { startTracing } from "./tracing";
import { readTracingSettings } from "./tracing-settings";

/** The service a moleculer-runner process loads ("services/order/order.service.ts" → "order"), to name its spans. */
const serviceFile = process.argv.map((arg) => /([a-z-]+)\.service\.[jt]s$/.exec(arg)?.[1]).find(Boolean);

export const stopTracing = startTracing(readTracingSettings(process.env, serviceFile));
