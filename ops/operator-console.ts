/**
 * `npm run repl`: an operator's node on the running system (same transporter,
 * its own node id) with Moleculer's REPL and the commands in repl-commands.ts.
 */
import { ServiceBroker } from "moleculer";
import config from "../moleculer.config";
import { replCommands } from "./repl-commands";

const broker = new ServiceBroker({
  ...config,
  nodeID: `operator-${process.pid}`,
  logger: { type: "Console", options: { level: "warn" } },
  replCommands: replCommands as never,
});

broker
  .start()
  .then(() => broker.repl())
  .catch((error: Error) => {
    console.error(`operator console could not start: ${error.message}`);
    process.exit(1);
  });
