/**
 * A signed-in customer's history of one kind of row (purchases, orders,
 * payments): the list action's params, and the one query that answers them,
 * so the three lists page, filter and order alike. Each table has indexes on
 * (customer_id, created_at desc, id desc) and (customer_id, status, created_at
 * desc, id desc) for it: a page reads about its own rows however long the
 * customer's history; the total counts the matching entries of the index.
 */
import type { Knex } from "knex";
import type { Context } from "moleculer";
import type { Model, QueryBuilder } from "objection";
import { callerOf, type AuthenticatedMeta } from "../auth/authenticated-user";
import type { RestDescription } from "../http/rest-description";
import type { Infer, MessageSchema } from "../messages/message-declaration";
import { listPageSchema, pageOf, pagingSchema, type Page, type Paging } from "../validation/paging";

const ISO_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * An ISO-8601 date and time with its offset ("2026-12-01T10:00:00Z",
 * "…+07:00"), as a Date. Without the offset the instant would depend on
 * the server's zone; Date.parse alone would take "1" as 2001, and roll
 * February 30 into March. A Date passes as it is: what this check made of
 * the text, handed on by a caller in the same process.
 */
const isoTimestamp = {
  type: "custom",
  optional: true,
  check(value: unknown, errors: { type: string; actual: unknown }[]) {
    if (value instanceof Date && !Number.isNaN(value.getTime())) return value;
    const parts = typeof value === "string" ? ISO_TIMESTAMP.exec(value) : null;
    const at = parts ? Date.parse(parts[0]) : NaN;
    const daysInMonth = parts ? new Date(Date.UTC(Number(parts[1]), Number(parts[2]), 0)).getUTCDate() : 0;
    if (parts && !Number.isNaN(at) && Number(parts[3]) <= daysInMonth) return new Date(at);
    errors.push({ type: "isoTimestamp", actual: value });
    return value;
  },
  messages: { isoTimestamp: "The '{field}' field must be an ISO-8601 date and time with its offset, such as 2026-12-01T10:00:00Z." },
  // What the API document shows of it (lib/http/json-schema-of-rule.ts): the check itself is code.
  jsonSchema: { type: "string", format: "date-time" },
} as const;

/** The params of a history list whose rows have these statuses. */
export function customerHistorySchema(statuses: readonly string[]) {
  return {
    $$strict: "remove",
    ...pagingSchema,
    status: { type: "enum", values: statuses, optional: true },
    created_since: isoTimestamp,
    created_before: isoTimestamp,
  } as const;
}

/** What a history list was asked for: a page of the rows of this status made in [created_since, created_before). */
export interface HistoryQuery<Status extends string> extends Paging {
  status?: Status;
  created_since?: Date;
  created_before?: Date;
}

/** One page of the customer's rows, newest first, and how many match in all. */
export async function customerHistory<M extends Model>(
  rows: QueryBuilder<M, M[]>,
  customerId: string,
  { status, created_since, created_before, page, page_size }: HistoryQuery<string>,
): Promise<{ rows: M[]; total: number }> {
  const { results, total } = await rows
    .where("customer_id", customerId)
    .modify((query) => {
      if (status) query.where("status", status);
      if (created_since) query.where("created_at", ">=", created_since);
      if (created_before) query.where("created_at", "<", created_before);
    })
    .orderBy([
      { column: "created_at", order: "desc" },
      { column: "id", order: "desc" },
    ])
    .page(page - 1, page_size);
  return { rows: results, total };
}

/** One kind of a customer's history, as its service lists it. */
export interface CustomerHistory<Status extends string, Row, View extends MessageSchema> {
  /** What the rows are, for the API document: "orders". */
  rows: string;
  statuses: readonly Status[];
  /** The view of one row, the one its `get` answers. */
  viewSchema: View;
  list(db: Knex, customerId: string, query: HistoryQuery<Status>): Promise<{ rows: Row[]; total: number }>;
  view(row: Row): Infer<View>;
}

/** The list action of a customer's history: its params, its description for the API document, and a page of the caller's rows. */
export function customerHistoryAction<Status extends string, Row, View extends MessageSchema>(history: CustomerHistory<Status, Row, View>) {
  return {
    params: customerHistorySchema(history.statuses),
    openapi: {
      summary: `The caller's own ${history.rows}, newest first, a page at a time`,
      answer: { schema: listPageSchema(history.viewSchema) },
    } satisfies RestDescription,
    async handler(this: { db: Knex }, ctx: Context<HistoryQuery<Status>, AuthenticatedMeta>): Promise<Page<Infer<View>>> {
      const { rows, total } = await history.list(this.db, callerOf(ctx).id, ctx.params);
      return pageOf(rows.map(history.view), ctx.params, total);
    },
  };
}
