/**
 * Watches one service database's outbox and mends a stall it can mend.
 *
 * After a broker outage longer than Connect's heartbeat interval, Connect
 * stops its tasks while Kafka is away; Debezium 3.2's task then fails to
 * commit its offsets on stop and returns before closing its replication
 * connection (fixed upstream in 3.3.2, DBZ-9617, a line built against
 * Kafka 4.1). The task's keep-alive thread keeps that walsender alive, so
 * the slot stays "active" and the task started after it never streams,
 * while Connect reports it RUNNING. Postgres' wal_sender_timeout cannot see
 * this (the client answers), so the watch does: once the outbox is stalled
 * and Kafka answers, it ends the walsender that holds the slot, and the
 * running task takes the slot on its next try. A slot no one holds means no
 * task runs: Connect is asked to restart the connector and its tasks.
 *
 * A slot that fell further behind than max_slot_wal_keep_size is invalidated
 * by Postgres (seen: a bulk load wrote 8 GB of WAL while the connectors
 * confirmed nothing, their databases writing no outbox row, and every outbox
 * of the cluster stopped for good; Debezium then refuses its offsets, which
 * point at WAL that is gone). The watch
 * resets the stream: the connector is stopped, its offsets deleted, the lost
 * slot dropped, and the connector resumed, which makes a new slot and
 * publishes the outbox again from its first row (its initial snapshot).
 * Rows published before are published twice; every inbox drops the repeats.
 */
import type { Knex } from "knex";
import type { OutboxFlowReport } from "../../contracts/outbox-flow";
import { OUTBOX_FLOW_REPORT_EVERY_MS } from "../../contracts/outbox-flow";
import { type KafkaConnection, type ServiceDatabase, connectorName } from "../environment";
import { kafkaAnswers } from "../channels/kafka-reachability";
import {
  type OutboxFlowState,
  type OutboxReading,
  type SlotProgress,
  deliveredPosition,
  dropLostSlot,
  judgeOutboxFlow,
  readOutbox,
  releaseSlot,
} from "./outbox-flow";
import { outboxSlotName } from "./outbox-status";

/** Remedies of one stall back off to this. */
const MAX_REMEDY_WAIT_MS = 300_000;

export interface OutboxWatchLogger {
  info(message: string): void;
  warn(message: string): void;
}

/** What the watch does to the world; outboxPlumbing() gives the real one. */
export interface OutboxPlumbing {
  /** The outbox and its slot; rows at or before `deliveredPosition` count as published. */
  read(deliveredPosition?: number | null): Promise<OutboxReading>;
  /** How far Debezium's own offsets say it has published; null where unknown. */
  deliveredPosition(): Promise<number | null>;
  /** Ends the walsender `pid` if it still holds the slot; answers whether it did. */
  releaseSlot(pid: number): Promise<boolean>;
  /** Whether Kafka answers: while it does not, a stall is the broker's and nothing here mends it. */
  kafkaAnswers(): Promise<boolean>;
  /** Asks Kafka Connect to restart the connector and its tasks; false when it does not answer; null where Connect is unknown. */
  restartConnector(): Promise<boolean | null>;
  /** Stops the connector, deletes its offsets, drops its lost slot, resumes it; false when Connect does not go along; null where Connect is unknown. */
  resetStream(): Promise<boolean | null>;
}

/** How long Connect gets to stop a connector before its offsets can be deleted. */
const CONNECTOR_STOP_WAIT_MS = 30_000;

/** The real plumbing of `database`: its outbox and slot in `db`, Kafka, Connect's REST API at `connectUrl`. */
export function outboxPlumbing(db: Knex, database: ServiceDatabase, kafka: KafkaConnection, connectUrl: string | null): OutboxPlumbing {
  return {
    read: (delivered) => readOutbox(db, database, delivered ?? null),
    deliveredPosition: async () => (connectUrl === null ? null : deliveredPosition(connectUrl, database)),
    releaseSlot: (pid) => releaseSlot(db, database, pid),
    kafkaAnswers: () => kafkaAnswers(kafka),
    async restartConnector() {
      if (connectUrl === null) return null;
      return connectCall(connectUrl, database, "POST", "/restart?includeTasks=true");
    },
    async resetStream() {
      if (connectUrl === null) return null;
      if (!(await connectCall(connectUrl, database, "PUT", "/stop"))) return false;
      // Offsets can be deleted only once the connector is STOPPED.
      for (const until = Date.now() + CONNECTOR_STOP_WAIT_MS; (await connectorState(connectUrl, database)) !== "STOPPED";) {
        if (Date.now() > until) return false;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      if (!(await connectCall(connectUrl, database, "DELETE", "/offsets"))) return false;
      await dropLostSlot(db, database);
      return connectCall(connectUrl, database, "PUT", "/resume");
    },
  };
}

/** One call to Connect's REST API about the connector of `database`: whether it answered 2xx. */
function connectCall(connectUrl: string, database: ServiceDatabase, method: string, path: string): Promise<boolean> {
  return fetch(`${connectUrl}/connectors/${connectorName(database)}${path}`, { method, signal: AbortSignal.timeout(10_000) }).then(
    (res) => res.ok,
    () => false,
  );
}

async function connectorState(connectUrl: string, database: ServiceDatabase): Promise<string | null> {
  try {
    const res = await fetch(`${connectUrl}/connectors/${connectorName(database)}/status`, { signal: AbortSignal.timeout(5_000) });
    return res.ok ? (((await res.json()) as { connector?: { state?: string } }).connector?.state ?? null) : null;
  } catch {
    return null;
  }
}

export interface OutboxWatchOptions {
  database: ServiceDatabase;
  plumbing: OutboxPlumbing;
  stallAfterMs: number;
  logger: OutboxWatchLogger;
  /** Told each report worth sending: a changed judgement, or the last one getting old. */
  report: (report: OutboxFlowReport) => void;
}

export class OutboxWatch {
  private progress?: SlotProgress;
  private lastState?: OutboxFlowState;
  private lastReportAt = 0;
  private lastRemedyAt = 0;
  private remedyWaitMs: number;
  /** Since when no walsender has held the slot; null while one does. */
  private slotFreeSince: number | null = null;
  private remedy: string | null = null;
  /** The latest report, for the service's outbox status. */
  latest: OutboxFlowReport | null = null;

  constructor(private readonly options: OutboxWatchOptions) {
    this.remedyWaitMs = options.stallAfterMs;
  }

  private inFlight?: Promise<OutboxFlowReport>;

  /** One look: judge, mend a stall (at most once per stall bound), report. A call while one runs shares it. */
  check(): Promise<OutboxFlowReport> {
    this.inFlight ??= this.look().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async look(): Promise<OutboxFlowReport> {
    const { plumbing, database, stallAfterMs } = this.options;
    let reading = await plumbing.read();
    // Rows that look late may be in Kafka already, their slot not yet told: Debezium's offsets settle it.
    if (reading.oldestWaitingAt !== null && reading.at - reading.oldestWaitingAt > stallAfterMs) {
      const delivered = await plumbing.deliveredPosition();
      if (delivered !== null) reading = await plumbing.read(delivered);
    }
    const flow = judgeOutboxFlow(this.progress, reading, stallAfterMs);
    this.progress = flow.progress;
    this.slotFreeSince = reading.slotActive ? null : (this.slotFreeSince ?? reading.at);
    if (flow.state === "stalled") {
      await this.mend(reading);
    } else if (this.slotFreeSince !== null && reading.at - this.slotFreeSince >= 2 * stallAfterMs) {
      // No task has held the slot for a while (a task FAILED while Postgres was away): nothing waits yet, but the next row would.
      await this.mend(reading);
    } else {
      this.remedy = null;
      this.remedyWaitMs = stallAfterMs;
    }

    const report: OutboxFlowReport = {
      database,
      state: flow.state,
      rowsWaiting: reading.rowsWaiting,
      oldestWaitMs: flow.oldestWaitMs,
      slotStillMs: flow.slotStillMs,
      slotActive: reading.slotActive,
      slotLagBytes: reading.slotLagBytes,
      remedy: this.remedy,
      at: new Date(reading.at).toISOString(),
    };
    this.latest = report;
    const changed = flow.state !== this.lastState;
    if (changed) this.logChange(report);
    if (changed || reading.at - this.lastReportAt >= OUTBOX_FLOW_REPORT_EVERY_MS) {
      this.lastState = flow.state;
      this.lastReportAt = reading.at;
      this.options.report(report);
    }
    return report;
  }

  private async mend(reading: OutboxReading): Promise<void> {
    const { plumbing, database, logger } = this.options;
    // A task that was just given its slot back needs time to start streaming: the next remedy waits twice as long.
    if (reading.at - this.lastRemedyAt < this.remedyWaitMs) return;
    this.lastRemedyAt = reading.at;
    this.remedyWaitMs = Math.min(2 * this.remedyWaitMs, MAX_REMEDY_WAIT_MS);
    const slot = outboxSlotName(database);
    if (!(await plumbing.kafkaAnswers())) {
      this.remedy = "Kafka does not answer: the outbox streams again once it is back";
      return;
    }
    if (reading.slotLost) {
      // A reset that fails half-way (the slot could not be dropped: a role that may not) is said, not lost in a debug line; the next look tries again.
      const reset = await plumbing.resetStream().catch((error: Error) => error);
      this.remedy =
        reset instanceof Error
          ? `slot ${slot} is lost and the reset of ${connectorName(database)} failed (${reset.message}); tried again later`
          : reset === null
            ? `slot ${slot} is lost (it fell behind past max_slot_wal_keep_size): reset connector ${connectorName(database)} (stop it, delete its offsets, drop the slot, resume it)`
            : reset
              ? `slot ${slot} was lost (it fell behind past max_slot_wal_keep_size): reset connector ${connectorName(database)}, which publishes the outbox again from its first row (the inboxes drop the repeats)`
              : `slot ${slot} is lost and Kafka Connect did not go along with a reset of ${connectorName(database)}; tried again later`;
    } else if (reading.slotActive && reading.slotHolderPid !== null) {
      const ended = await plumbing.releaseSlot(reading.slotHolderPid);
      this.remedy = ended
        ? `ended walsender ${reading.slotHolderPid}, which held slot ${slot} without streaming; the connector's task takes the slot on its next try`
        : `walsender ${reading.slotHolderPid} of slot ${slot} could not be ended`;
    } else {
      const connector = connectorName(database);
      const restarted = await plumbing.restartConnector();
      this.remedy =
        restarted === null
          ? `no task holds slot ${slot}: restart connector ${connector}`
          : restarted
            ? `no task held slot ${slot}: asked Kafka Connect to restart ${connector}`
            : `no task holds slot ${slot} and Kafka Connect does not answer: start it (\`npm run stack -- up\`; compose: the connect container)`;
    }
    logger.warn(`outbox of ${database}: ${this.remedy}`);
  }

  private logChange(report: OutboxFlowReport): void {
    const { logger, database } = this.options;
    const waited = `${report.rowsWaiting} row(s) waiting, the oldest for ${Math.round(report.oldestWaitMs / 1000)} s`;
    if (report.state === "flowing") {
      if (this.lastState !== undefined) logger.info(`outbox of ${database} streams again`);
    } else if (report.state === "backlogged") {
      logger.warn(`outbox of ${database} is behind (${waited}); its slot moves`);
    } else {
      logger.warn(`outbox of ${database} stalled: ${waited}, its slot still for ${Math.round(report.slotStillMs / 1000)} s`);
    }
  }
}
