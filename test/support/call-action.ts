/**
 * Calls one action on one node from a broker of its own, in a process of its
 * own, and prints the answer as JSON: `tsx test/support/call-action.ts <action> <nodeID>`.
 * A broker that lives a few seconds can be stopped while its Redis Cluster
 * connections are still being made, which rejects where no one listens; out
 * here that cannot fail the test that asked.
 */
import { ServiceBroker } from "moleculer";
import config from "../../moleculer.config";

const [action, nodeID] = process.argv.slice(2);
process.on("unhandledRejection", () => undefined);

const broker = new ServiceBroker({ ...config, cacher: undefined, nodeID: `call-action-${process.pid}`, logger: false });
broker
  .start()
  .then(() => broker.call(action, {}, { nodeID }))
  .then(
    (answer) => {
      process.stdout.write(JSON.stringify(answer));
      process.exitCode = 0;
    },
    (error: Error) => {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 1;
    },
  )
  .finally(() => broker.stop().catch(() => undefined))
  .finally(() => process.exit());
