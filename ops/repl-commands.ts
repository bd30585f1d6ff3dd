/**
 * The operator's commands in the Moleculer REPL (`npm run repl`): sagas,
 * outbox, dead letters and the product cache. Each is a thin call into the
 * service action the dashboard (/ops/) calls too. Output is a table (`--json` gives the
 * data as it came); a mistake or a refusal is one line on stderr that says
 * what would have been valid, never a stack trace.
 */
import type { ServiceBroker } from "moleculer";
import { TOPICS } from "../contracts/topics";
import { SERVICE_DATABASES, type ServiceDatabase } from "../lib/environment";
import { SAGA_STATUSES, type SagaStatus } from "../lib/saga/state";
import type { ConsumerLag } from "../services/ops/consumer-lag";
import type { ListedDeadLetter, OutboxRow, ReplayView } from "../services/ops/ops-views";
import { OperatorInputError, oneLine } from "./console-errors";

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

/** A saga as the orchestrator's actions answer it (services/orchestrator/saga-views.ts). */
interface SagaRow {
  id: string;
  status: SagaStatus;
  stepName: string | null;
  attempt: number;
  failureReason: string | null;
  updatedAt: string;
}

interface SagaLogRow {
  at: string;
  kind: string;
  stepName: string | null;
  detail: Record<string, unknown>;
}

const SAGAS_PAGE = 20;
const MAX_SAGAS_PAGE = 500;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const JSON_OPTION = { option: "--json", description: "print the data as JSON, for a script" };

const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));

/** Runs a command's work; a failure is one line on stderr. */
const plainly =
  (work: (broker: ServiceBroker, args: ReplArgs) => Promise<void>) =>
  async (broker: ServiceBroker, args: ReplArgs): Promise<void> => {
    try {
      await work(broker, args);
    } catch (error) {
      console.error(`error: ${oneLine(error)}`);
    }
  };

function positiveInteger(value: unknown, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new OperatorInputError(`--${name} takes a whole number from 1 to ${max}, not "${String(value)}"`);
  return n;
}

function sagaStatus(value: unknown): SagaStatus | undefined {
  if (value === undefined) return undefined;
  const status = SAGA_STATUSES.find((s) => s === String(value).toUpperCase());
  if (!status) throw new OperatorInputError(`no saga state "${String(value)}"; the states are ${SAGA_STATUSES.map((s) => s.toLowerCase()).join(", ")}`);
  return status;
}

function sagaId(value: unknown): string {
  if (!UUID.test(String(value))) throw new OperatorInputError(`"${String(value)}" is not a saga id: a saga's id is its purchase's (a UUID)`);
  return String(value);
}

function database(value: unknown): ServiceDatabase {
  const found = SERVICE_DATABASES.find((d) => d === value);
  if (!found) throw new OperatorInputError(`no database "${String(value)}"; the databases are ${SERVICE_DATABASES.join(", ")}`);
  return found;
}

function topic(value: unknown): string {
  if (!(String(value) in TOPICS)) throw new OperatorInputError(`no topic "${String(value)}"; the topics are ${Object.keys(TOPICS).join(", ")}`);
  return String(value);
}

function instant(value: unknown, name: string): Date {
  const at = new Date(String(value));
  if (Number.isNaN(at.getTime())) throw new OperatorInputError(`${name} "${String(value)}" is not a time; give an ISO time such as 2026-12-04T10:00:00Z`);
  return at;
}

/** One line for a saga: where it is and why it stopped, if it did. */
const sagaLine = (saga: SagaRow) =>
  `saga ${saga.id}: ${saga.status} at ${saga.stepName ?? "no step"} (attempt ${saga.attempt})${saga.failureReason ? `: ${saga.failureReason}` : ""}`;

/** What a log entry is about, briefly: the message type, direction, attempt or reason it records. */
function logDetail(detail: Record<string, unknown>): string {
  return ["type", "direction", "attempt", "reason"]
    .filter((key) => detail[key] !== undefined && detail[key] !== null)
    .map((key) => (key === "type" || key === "reason" ? String(detail[key]) : `${key} ${String(detail[key])}`))
    .join(", ");
}

export const replCommands: ReplCommand[] = [
  {
    command: "sagas [state]",
    description: `List sagas, newest change first, ${SAGAS_PAGE} a page (state: ${SAGA_STATUSES.map((s) => s.toLowerCase()).join(", ")})`,
    options: [
      { option: "--limit <n>", description: `sagas a page (default ${SAGAS_PAGE})` },
      { option: "--page <n>", description: "which page, from 1" },
      JSON_OPTION,
    ],
    action: plainly(async (broker, args) => {
      const status = sagaStatus(args.state);
      const limit = positiveInteger(args.options.limit, "limit", SAGAS_PAGE, MAX_SAGAS_PAGE);
      const page = positiveInteger(args.options.page, "page", 1, Number.MAX_SAFE_INTEGER);
      const sagas = await broker.call<SagaRow[], object>("orchestrator.listSagas", { ...(status ? { status } : {}), limit, offset: (page - 1) * limit });
      if (args.options.json) return print(sagas);
      if (sagas.length === 0) return console.log(page === 1 ? "no sagas" : `no sagas on page ${page}`);
      console.table(sagas.map((s) => ({ id: s.id, status: s.status, step: s.stepName, attempt: s.attempt, updated: new Date(s.updatedAt).toISOString() })));
      if (sagas.length === limit) console.log(`page ${page}; --page ${page + 1} for more`);
    }),
  },
  {
    command: "saga <id>",
    description: "One saga and its log as a timeline: each command, reply, deadline and compensation, with its step",
    options: [JSON_OPTION],
    action: plainly(async (broker, args) => {
      const saga = await broker.call<SagaRow & { log: SagaLogRow[] }, object>("orchestrator.showSaga", { id: sagaId(args.id) });
      if (args.options.json) return print(saga);
      console.log(sagaLine(saga));
      const start = saga.log.length > 0 ? new Date(saga.log[0].at).getTime() : 0;
      console.table(
        saga.log.map((entry) => ({
          at: new Date(entry.at).toISOString(),
          "+ms": new Date(entry.at).getTime() - start,
          what: entry.kind,
          step: entry.stepName,
          detail: logDetail(entry.detail),
        })),
      );
    }),
  },
  {
    command: "saga-retry <id>",
    description: "Re-send a parked (NEEDS_ATTENTION) saga's command: its compensation, or its retriable step",
    action: plainly(async (broker, args) => {
      console.log(sagaLine(await broker.call<SagaRow, object>("orchestrator.retrySaga", { id: sagaId(args.id) })));
    }),
  },
  {
    command: "saga-abort <id> <reason>",
    description: "Give up on a parked saga: it ends FAILED with this reason",
    action: plainly(async (broker, args) => {
      console.log(sagaLine(await broker.call<SagaRow, object>("orchestrator.abortSaga", { id: sagaId(args.id), reason: String(args.reason) })));
    }),
  },
  {
    command: "grant-role <email> <role>",
    description: "Give an account a role (customer or admin); its tokens carry it from their next refresh",
    action: plainly(async (broker, args) => {
      const granted = await broker.call<{ customer_id: string; email: string; role: string }, object>("account.grantRole", {
        email: String(args.email),
        role: String(args.role),
      });
      console.log(`${granted.email} (${granted.customer_id}) is now ${granted.role}`);
    }),
  },
  {
    command: "outbox-lag",
    description: "Per database: outbox rows kept, rows Debezium has not yet confirmed and the oldest one's time, the slot",
    options: [JSON_OPTION],
    action: plainly(async (broker, args) => {
      const rows = await broker.call<OutboxRow[]>("ops.outbox");
      if (args.options.json) return print(rows);
      console.table(
        rows.map((row) =>
          "error" in row
            ? { database: row.database, error: row.error }
            : {
                database: row.database,
                kept: row.rowsKeptEstimated ? `≈${row.rowsKept}` : row.rowsKept,
                waiting: row.rowsWaiting,
                "oldest waiting": row.oldestWaitingAt,
                "slot active": row.slotActive,
                "slot lag bytes": row.slotLagBytes,
              },
        ),
      );
    }),
  },
  {
    command: "consumer-lag",
    description: "Per consumer group and topic: messages not yet consumed",
    options: [JSON_OPTION],
    action: plainly(async (broker, args) => {
      const lags = await broker.call<ConsumerLag[]>("ops.consumerLag");
      if (args.options.json) return print(lags);
      console.table(lags);
    }),
  },
  {
    command: "outbox-replay <database> <from> [to]",
    description: "Re-publish a database's outbox rows created in [from, to) (ISO times; to defaults to now) through Debezium; consumers dedupe",
    action: plainly(async (broker, args) => {
      const db = database(args.database);
      const from = instant(args.from, "from");
      const to = args.to === undefined ? new Date() : instant(args.to, "to");
      if (from >= to) throw new OperatorInputError(`from (${from.toISOString()}) must come before to (${to.toISOString()})`);
      const replay = await broker.call<ReplayView, object>("ops.replayOutbox", { database: db, from, to });
      console.log(
        `replay of ${db}'s ${replay.rows} outbox rows from ${replay.from} to ${replay.to} requested (Debezium signal ${replay.signalId}); outbox-replays shows how far it has got`,
      );
    }),
  },
  {
    command: "outbox-replays",
    description: "The replays asked for since the ops service started, latest first, with how far each has got",
    options: [JSON_OPTION],
    action: plainly(async (broker, args) => {
      const replays = await broker.call<ReplayView[]>("ops.replays");
      if (args.options.json) return print(replays);
      if (replays.length === 0) return console.log("no replays");
      console.table(
        replays.map((r) => ({
          database: r.database,
          from: r.from,
          to: r.to,
          rows: r.rows,
          by: r.requestedBy,
          progress: r.progress ? `${r.progress.chunksRead}/${r.progress.chunksNeeded} chunks${r.progress.done ? ", done" : ""}` : "unknown",
        })),
      );
    }),
  },
  {
    command: "dead-letters <topic>",
    description: `The messages of <topic> that could not be applied, with the reason (topics: ${Object.keys(TOPICS).join(", ")})`,
    options: [JSON_OPTION],
    action: plainly(async (broker, args) => {
      const letters = await broker.call<ListedDeadLetter[], object>("ops.deadLetters", { topic: topic(args.topic) });
      if (args.options.json) return print(letters);
      if (letters.length === 0) return console.log(`no dead letters on ${String(args.topic)}`);
      console.table(
        letters.map(({ partition, offset, key, type, id, reason, requeued }) => ({
          partition,
          offset,
          key,
          type,
          id,
          reason,
          requeued: requeued ? `${requeued.at} by ${requeued.by}` : "",
        })),
      );
    }),
  },
  {
    command: "dead-letter-requeue <topic> <partition> <offset>",
    description: "Publish one dead letter again to its original topic (after fixing its cause)",
    action: plainly(async (broker, args) => {
      const letter = await broker.call<ListedDeadLetter, object>("ops.requeueDeadLetter", {
        topic: topic(args.topic),
        partition: Number(args.partition),
        offset: String(args.offset),
      });
      console.log(`requeued ${letter.type ?? "message"} ${letter.id ?? ""} to ${letter.originalTopic}`);
    }),
  },
  {
    command: "cache-filter",
    description: "The product cuckoo filter: fill, capacity, false-positive rate",
    action: plainly(async (broker) => {
      print(await broker.call("product.filterStats"));
    }),
  },
  {
    command: "cache-filter-rebuild",
    description: "Rebuild the product cuckoo filter from the database (readers keep the old one meanwhile)",
    action: plainly(async (broker) => {
      print(await broker.call("product.rebuildFilter"));
    }),
  },
];
