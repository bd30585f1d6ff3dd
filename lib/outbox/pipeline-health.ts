/**
 * The outboxes' latest reports (OUTBOX_FLOW_EVENT), as the gateway's
 * pipeline route and the orchestrator's deadline probe read them: the
 * pipeline carries while every outbox that reported lately is flowing. A
 * service that stopped reporting is listed as silent: it says nothing
 * either way about its outbox (it may just be restarting).
 */
import { OUTBOX_FLOW_REPORT_STALE_MS, type OutboxFlowReport } from "../../contracts/outbox-flow";

export interface PipelineVerdict {
  carrying: boolean;
  /** Fresh reports, by database name. */
  outboxes: OutboxFlowReport[];
  /** Databases whose last report is too old to count. */
  silent: string[];
}

export class PipelineHealth {
  private readonly reports = new Map<string, OutboxFlowReport>();

  note(report: OutboxFlowReport): void {
    const known = this.reports.get(report.database);
    // Reports may arrive out of order over the transporter; the newest reading wins.
    if (!known || Date.parse(known.at) <= Date.parse(report.at)) this.reports.set(report.database, report);
  }

  verdict(now: number): PipelineVerdict {
    const all = [...this.reports.values()].sort((a, b) => a.database.localeCompare(b.database));
    const fresh = all.filter((r) => now - Date.parse(r.at) <= OUTBOX_FLOW_REPORT_STALE_MS);
    return {
      carrying: fresh.every((r) => r.state === "flowing"),
      outboxes: fresh,
      silent: all.filter((r) => !fresh.includes(r)).map((r) => r.database),
    };
  }
}
