/**
 * What each service tells the others about its outbox, as a Moleculer event
 * (not Kafka: it is about Kafka's reachability among other things). Sent when
 * the judgement changes and at least every OUTBOX_FLOW_REPORT_EVERY_MS, so a
 * reader can tell a quiet outbox from a silent reporter.
 */
import type { ServiceDatabase } from "../lib/environment";
import type { OutboxFlowState } from "../lib/outbox/outbox-flow";

export const OUTBOX_FLOW_EVENT = "outbox.flowJudged";

/** A report older than this says nothing any more: its service stopped reporting. */
export const OUTBOX_FLOW_REPORT_EVERY_MS = 30_000;
export const OUTBOX_FLOW_REPORT_STALE_MS = 3 * OUTBOX_FLOW_REPORT_EVERY_MS;

export interface OutboxFlowReport {
  database: ServiceDatabase;
  state: OutboxFlowState;
  rowsWaiting: number;
  /** How long the oldest waiting row has waited, ms. */
  oldestWaitMs: number;
  /** How long the slot's confirmed position has stood still, ms. */
  slotStillMs: number;
  slotActive: boolean | null;
  /** WAL the slot has not confirmed; null without a slot. */
  slotLagBytes: number | null;
  /** What the watch did or found about a stall, in words; null while flowing. */
  remedy: string | null;
  /** ISO time of the reading. */
  at: string;
}
