/**
 * The operator's commands in the Moleculer REPL (`npm run repl`): sagas,
 * outbox, dead letters and the product cache. Each is a thin call into a
 * service action or an ops/lib function; the output is plain JSON or a table.
 */
import knex from "knex";
import type { ServiceBroker } from "moleculer";
import { SERVICE_DATABASES, type ServiceDatabase, databaseUrl } from "../lib/environment";
import { requestOutboxReplay } from "../lib/outbox/outbox-replay";
import { listDeadLetters, requeueDeadLetter } from "./dead-letters";
import { outboxStatus } from "./outbox-status";

interface ReplArgs {
  options: Record<string, unknown>;
  [name: string]: unknown;
}

export interface ReplCommand {
  command: string;
  description: string;
  alias?: string[];
  options?: { option: string; description: string }[];
  action(broker: ServiceBroker, args: ReplArgs): Promise<void>;
}

const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));

async function replay(database: string, from: string, to?: string): Promise<string> {
  if (!SERVICE_DATABASES.includes(database as ServiceDatabase)) throw new Error(`unknown database ${database}; one of ${SERVICE_DATABASES.join(", ")}`);
  const db = knex({ client: "pg", connection: databaseUrl(database as ServiceDatabase), pool: { min: 0, max: 1 } });
  try {
    return await requestOutboxReplay(db, { from: new Date(from), to: to ? new Date(to) : undefined });
  } finally {
    await db.destroy();
  }
}

export const replCommands: ReplCommand[] = [
  {
    command: "sagas [state]",
    description: "List sagas, newest change first (state: RUNNING, COMPENSATING, NEEDS_ATTENTION, COMPLETED, FAILED)",
    async action(broker, args) {
      print(await broker.call("orchestrator.listSagas", args.state ? { status: String(args.state).toUpperCase() } : {}));
    },
  },
  {
    command: "saga <id>",
    description: "Show one saga with its whole log",
    async action(broker, args) {
      print(await broker.call("orchestrator.showSaga", { id: args.id }));
    },
  },
  {
    command: "saga-retry <id>",
    description: "Retry the compensation of a saga parked as NEEDS_ATTENTION",
    async action(broker, args) {
      print(await broker.call("orchestrator.retrySaga", { id: args.id }));
    },
  },
  {
    command: "saga-abort <id> <reason>",
    description: "Give up on a parked saga: it ends FAILED with this reason",
    async action(broker, args) {
      print(await broker.call("orchestrator.abortSaga", { id: args.id, reason: args.reason }));
    },
  },
  {
    command: "grant-role <email> <role>",
    description: "Give an account a role (customer or admin); its tokens carry it from their next refresh",
    async action(broker, args) {
      print(await broker.call("account.grantRole", { email: String(args.email), role: String(args.role) }));
    },
  },
  {
    command: "outbox-lag",
    description: "Per database: outbox rows kept, oldest/newest, and the Debezium slot's unconfirmed WAL",
    async action() {
      console.table(await outboxStatus());
    },
  },
  {
    command: "outbox-replay <database> <from> [to]",
    description: "Re-publish a database's outbox rows created in [from, to) (ISO times) through Debezium; consumers dedupe",
    async action(_broker, args) {
      const signal = await replay(String(args.database), String(args.from), args.to ? String(args.to) : undefined);
      console.log(`replay requested (Debezium signal ${signal})`);
    },
  },
  {
    command: "dead-letters <topic>",
    description: "List the messages of <topic> that could not be applied, with the reason",
    async action(_broker, args) {
      const letters = await listDeadLetters(String(args.topic));
      console.table(letters.map(({ partition, offset, key, type, id, reason }) => ({ partition, offset, key, type, id, reason })));
    },
  },
  {
    command: "dead-letter-requeue <topic> <partition> <offset>",
    description: "Publish one dead letter again to its original topic (after fixing its cause)",
    async action(_broker, args) {
      const letter = await requeueDeadLetter(String(args.topic), Number(args.partition), String(args.offset));
      console.log(`requeued ${letter.type ?? "message"} ${letter.id ?? ""} to ${letter.originalTopic}`);
    },
  },
  {
    command: "cache-filter",
    description: "The product cuckoo filter: fill, capacity, false-positive rate",
    async action(broker) {
      print(await broker.call("product.filterStats"));
    },
  },
  {
    command: "cache-filter-rebuild",
    description: "Rebuild the product cuckoo filter from the database (readers keep the old one meanwhile)",
    async action(broker) {
      print(await broker.call("product.rebuildFilter"));
    },
  },
];
