/** An in-process broker wired like the real nodes (Kafka channels), minus Redis: tests start their own services. */
import { ServiceBroker, type Middleware, type ServiceSchema } from "moleculer";
import config from "../../moleculer.config";

// Schemas typed with their own `this` (ServiceSchema<S, T>) are accepted as they are.
export async function startBroker(services: ServiceSchema<any, any>[]): Promise<ServiceBroker> {
  const broker = new ServiceBroker({
    ...config,
    namespace: `itest-${process.pid}`,
    nodeID: `itest-${process.pid}-${Date.now()}`,
    transporter: undefined,
    cacher: undefined,
    logger: { type: "Console", options: { level: process.env.TEST_LOG_LEVEL ?? "warn" } },
  });
  for (const schema of services) broker.createService(schema);
  await broker.start();
  return broker;
}

/** A middleware that counts the channel batches its broker handles: a test's proof that a consumer took its share. */
export function channelBatchCounter(): { middleware: Middleware; handled: () => number } {
  let handled = 0;
  const middleware: Middleware = {
    // A channel handler wrapper; Moleculer's typings know only the core hooks' handler types.
    localChannel:
      (next: (...args: any[]) => Promise<void>) =>
      async (...args: any[]) => {
        handled++;
        return next(...args);
      },
  };
  return { middleware, handled: () => handled };
}
