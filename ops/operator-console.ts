/**
 * `npm run repl`: an operator's node on the running system (same transporter,
 * its own node id) with Moleculer's REPL and the commands in repl-commands.ts.
 */
import { userInfo } from "node:os";
import { ServiceBroker } from "moleculer";
import config from "../moleculer.config";
import { replCommands } from "./repl-commands";

/** The OS user running the console (a container may have none by name). */
function whoRuns(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? "unknown";
  }
}

const broker = new ServiceBroker({
  ...config,
  // The node id names the operator: saga logs record it as who retried or aborted.
  nodeID: `operator-${whoRuns()}-${process.pid}`,
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
