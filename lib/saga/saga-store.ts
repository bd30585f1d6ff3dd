import type { Knex } from "knex";
import { ACTIVE_STATUSES, FINAL_STATUSES, SAGA_STATUSES, UNFINISHED_STATUSES, type GroupAnswer, type LogEntry, type SagaState, type SagaStatus } from "./state";

/** A saga instance as stored: its state plus the concurrency version and timestamps. */
export interface StoredSaga {
  state: SagaState<unknown>;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface SagaLogRecord extends LogEntry {
  /** bigserial, as a string: it can exceed Number.MAX_SAFE_INTEGER. */
  id: string;
}

/**
 * Someone else wrote the saga between our read and our write (or created it
 * first). Nothing of ours was written; the caller rolls back and retries the
 * whole transaction, e.g. by letting the message be redelivered.
 */
export class ConcurrentModificationError extends Error {
  override readonly name = "ConcurrentModificationError";
  /** Marks it transient for the inbox (lib/inbox/transient-errors): running the transaction again is the remedy. */
  readonly retryable = true;

  constructor(
    readonly sagaId: string,
    what: string,
  ) {
    super(`Saga ${sagaId} ${what}`);
  }
}

/** Per step, the latest deadline that may be applied now (later ones wait for their queues to be read), unless due before `unlessDueBefore`. */
export interface PostponedSteps {
  steps: readonly { definitionVersion: number; step: number; dueBy: Date }[];
  unlessDueBefore: Date;
}

export interface OverdueQuery {
  now: Date;
  limit: number;
  sagaType?: string;
  /** Sagas to pass over, e.g. ones that already failed to sweep this round. */
  excluding?: readonly string[];
  postponed?: PostponedSteps;
}

export interface SagaListQuery {
  status?: SagaStatus;
  sagaType?: string;
  /** One saga, by id. */
  id?: string;
  /**
   * Sagas whose data has these top-level fields equal to these strings, e.g.
   * one customer's. Written as `data->>'field' = value`, the shape an
   * expression index on the field serves.
   */
  dataEquals?: Record<string, string>;
  /** Last changed at or after this time. */
  changedSince?: Date;
  /** Last changed before this time. */
  changedBefore?: Date;
  limit?: number;
  offset?: number;
}

const INSTANCES = "saga_instance";
const LOG = "saga_log";
/** One row of saveMany's values list, typed (a values list takes its column types from its first row). */
const SAVE_ROW = "(?::uuid, ?::int, ?::int, ?::text, ?::int, ?::jsonb, ?::timestamptz, ?::int, ?::jsonb, ?::text)";

/** Columns of saga_instance; `state` holds SagaState.status. */
interface InstanceRow {
  id: string;
  saga_type: string;
  definition_version: number;
  state: SagaStatus;
  current_step: number;
  data: unknown;
  version: number;
  deadline_at: Date | null;
  attempt: number;
  group_answers: GroupAnswer[];
  failure_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

interface LogRow {
  id: string;
  saga_id: string;
  at: Date;
  kind: LogEntry["kind"];
  step: number;
  message_id: string | null;
  detail: Record<string, unknown>;
}

/** Saga instances and their log in PostgreSQL (schema: migrations/orchestrator/001_saga.ts). */
export class SagaStore {
  constructor(private readonly db: Knex) {}

  transaction<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** The sagas with these ids that exist, in one read. */
  async loadMany(trx: Knex.Transaction, ids: readonly string[]): Promise<Map<string, StoredSaga>> {
    const rows = await trx<InstanceRow>(INSTANCES).whereIn("id", ids);
    return new Map(rows.map((row) => [row.id, fromRow(row)]));
  }

  /** Inserts new sagas at their versions, in one statement. An existing saga with one of the ids is a conflict, never overwritten. */
  async createMany(trx: Knex.Transaction, sagas: readonly StoredSaga[]): Promise<void> {
    const rows: { id: string }[] = await trx(INSTANCES)
      .insert(
        sagas.map(({ state, version }) => ({
          id: state.id,
          saga_type: state.sagaType,
          definition_version: state.definitionVersion,
          ...changingColumns(state),
          version,
        })),
      )
      .onConflict("id")
      .ignore()
      .returning("id");
    const inserted = new Set(rows.map((row) => row.id));
    const taken = sagas.find(({ state }) => !inserted.has(state.id));
    if (taken) throw new ConcurrentModificationError(taken.state.id, "already exists");
  }

  /**
   * Writes each saga's state and version, in one statement, only where its
   * row is still at the version read; if any is not, nothing counts (the
   * caller's transaction rolls back).
   */
  async saveMany(trx: Knex.Transaction, saves: readonly { saga: StoredSaga; versionRead: number }[]): Promise<void> {
    const values = saves.map(({ saga, versionRead }) => {
      const columns = changingColumns(saga.state);
      return [
        saga.state.id,
        versionRead,
        saga.version,
        columns.state,
        columns.current_step,
        columns.data,
        columns.deadline_at,
        columns.attempt,
        columns.group_answers,
        columns.failure_reason,
      ];
    });
    const { rows } = await trx.raw<{ rows: { id: string }[] }>(
      `update ${INSTANCES} as s
          set state = v.state, current_step = v.current_step, data = v.data, deadline_at = v.deadline_at, attempt = v.attempt,
              group_answers = v.group_answers, failure_reason = v.failure_reason, version = v.version, updated_at = now()
         from (values ${values.map(() => SAVE_ROW).join(", ")})
           as v(id, version_read, version, state, current_step, data, deadline_at, attempt, group_answers, failure_reason)
        where s.id = v.id and s.version = v.version_read
    returning s.id`,
      values.flat(),
    );
    const written = new Set(rows.map((row) => row.id));
    const stale = saves.find(({ saga }) => !written.has(saga.state.id));
    if (stale) throw new ConcurrentModificationError(stale.saga.state.id, `is no longer at version ${stale.versionRead}`);
  }

  /** One multi-row insert; the log is append-only. */
  async appendLog(trx: Knex.Transaction, entries: readonly LogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await trx(LOG).insert(
      entries.map((entry) => ({
        saga_id: entry.sagaId,
        at: entry.at,
        kind: entry.kind,
        step: entry.step,
        message_id: entry.messageId,
        detail: JSON.stringify(entry.detail),
      })),
    );
  }

  /** Whether a saga of this type awaits a reply past its deadline: one indexed look, so an idle sweep costs one round trip. */
  async anyOverdue(now: Date, sagaType: string): Promise<boolean> {
    const row = await this.db<InstanceRow>(INSTANCES)
      .whereIn("state", ACTIVE_STATUSES) // the same predicate as saga_instance_overdue_idx
      .where("deadline_at", "<=", now)
      .where("saga_type", sagaType)
      .first(this.db.raw("1 as due"));
    return row !== undefined;
  }

  /**
   * Locks up to `limit` sagas whose deadline has passed, earliest first. Rows
   * locked by another transaction are skipped, so several sweepers never take
   * the same saga; the locks last until `trx` ends.
   */
  async findOverdue(trx: Knex.Transaction, query: OverdueQuery): Promise<StoredSaga[]> {
    const rows = await trx<InstanceRow>(INSTANCES)
      .whereIn("state", ACTIVE_STATUSES) // the same predicate as saga_instance_overdue_idx
      .where("deadline_at", "<=", query.now)
      .modify((q) => {
        if (query.sagaType) q.where("saga_type", query.sagaType);
        if (query.excluding?.length) q.whereNotIn("id", query.excluding);
        const postponed = query.postponed;
        if (postponed) {
          q.where((due) => {
            due.where("deadline_at", "<=", postponed.unlessDueBefore);
            for (const s of postponed.steps) {
              due.orWhere((step) => step.where({ definition_version: s.definitionVersion, current_step: s.step }).where("deadline_at", "<=", s.dueBy));
            }
          });
        }
      })
      .orderBy("deadline_at")
      .limit(query.limit)
      .forUpdate()
      .skipLocked();
    return rows.map(fromRow);
  }

  /** For operators: most recently changed first. */
  async list(query: SagaListQuery = {}): Promise<StoredSaga[]> {
    const rows = await this.db<InstanceRow>(INSTANCES)
      .modify((q) => {
        if (query.status) q.where("state", query.status);
        if (query.sagaType) q.where("saga_type", query.sagaType);
        if (query.id) q.where("id", query.id);
        for (const [field, value] of Object.entries(query.dataEquals ?? {})) q.whereRaw(`${dataField(field)} = ?`, [value]);
        if (query.changedSince) q.where("updated_at", ">=", query.changedSince);
        if (query.changedBefore) q.where("updated_at", "<", query.changedBefore);
      })
      .orderBy("updated_at", "desc")
      .limit(query.limit ?? 50)
      .offset(query.offset ?? 0);
    return rows.map(fromRow);
  }

  /**
   * For operators: how many sagas of this type are in each status (every
   * status, zeros included). Unfinished sagas (running, compensating,
   * parked) are all counted; ended ones (COMPLETED, FAILED) only if they
   * ended at or after `endedSince`, so the count reads a bounded stretch of
   * the status index however many sagas the retention keeps.
   */
  async countByStatus(sagaType: string, endedSince: Date): Promise<Record<SagaStatus, number>> {
    const counted = (statuses: readonly SagaStatus[], since?: Date) =>
      this.db<InstanceRow>(INSTANCES)
        .where("saga_type", sagaType)
        .whereIn("state", statuses)
        .modify((q) => {
          if (since) q.where("updated_at", ">=", since);
        })
        .groupBy("state")
        .select("state")
        .count<{ state: SagaStatus; count: string }[]>("* as count");
    const rows = (await Promise.all([counted(UNFINISHED_STATUSES), counted(FINAL_STATUSES, endedSince)])).flat();
    const counts = Object.fromEntries(SAGA_STATUSES.map((status) => [status, 0])) as Record<SagaStatus, number>;
    for (const row of rows) counts[row.state] = Number(row.count);
    return counts;
  }

  /**
   * Retention: removes the sagas that ended (COMPLETED or FAILED) before
   * `endedBefore`, with their logs, `batchSize` sagas per transaction so no
   * delete holds its locks long; answers how many went. A saga an engine
   * holds is skipped (SKIP LOCKED). Running and parked sagas always stay.
   */
  async pruneEnded(endedBefore: Date, batchSize: number): Promise<number> {
    let total = 0;
    for (;;) {
      const pruned = await this.db.transaction(async (trx) => {
        const ids: string[] = await trx(INSTANCES)
          .whereIn("state", FINAL_STATUSES)
          .andWhere("updated_at", "<", endedBefore)
          .limit(batchSize)
          .forUpdate()
          .skipLocked()
          .pluck("id");
        if (ids.length === 0) return 0;
        await trx(LOG).whereRaw("saga_id = any(?::uuid[])", [ids]).delete();
        await trx(INSTANCES).whereRaw("id = any(?::uuid[])", [ids]).delete();
        return ids.length;
      });
      total += pruned;
      if (pruned < batchSize) return total;
    }
  }

  /** For operators: the instance and its whole log, oldest entry first. */
  async show(id: string): Promise<{ saga: StoredSaga; log: SagaLogRecord[] } | null> {
    const row = await this.db<InstanceRow>(INSTANCES).where({ id }).first();
    if (!row) return null;
    const log = await this.db<LogRow>(LOG).where({ saga_id: id }).orderBy("id");
    return { saga: fromRow(row), log: log.map(fromLogRow) };
  }
}

/**
 * `data->>'field'`: the field's name is written into the statement, not bound,
 * because only the literal expression matches an expression index. Names are
 * identifiers, so nothing else can reach the SQL.
 */
function dataField(field: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(field)) throw new Error(`not a data field name: ${JSON.stringify(field)}`);
  return `data->>'${field}'`;
}

/** The columns a transition may change. JSON is serialised here because pg would turn a top-level array into a Postgres array. */
function changingColumns(state: SagaState<unknown>) {
  return {
    state: state.status,
    current_step: state.currentStep,
    data: JSON.stringify(state.data),
    deadline_at: state.deadlineAt,
    attempt: state.attempt,
    group_answers: JSON.stringify(state.groupAnswers),
    failure_reason: state.failureReason,
  };
}

function fromRow(row: InstanceRow): StoredSaga {
  return {
    state: {
      id: row.id,
      sagaType: row.saga_type,
      definitionVersion: row.definition_version,
      status: row.state,
      currentStep: row.current_step,
      attempt: row.attempt,
      groupAnswers: row.group_answers,
      data: row.data,
      deadlineAt: row.deadline_at,
      failureReason: row.failure_reason,
    },
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function fromLogRow(row: LogRow): SagaLogRecord {
  return { id: row.id, sagaId: row.saga_id, at: row.at, kind: row.kind, step: row.step, messageId: row.message_id, detail: row.detail };
}
