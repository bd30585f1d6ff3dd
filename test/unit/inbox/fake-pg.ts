/**
 * A stand-in for a pg pool, handed to knex as `connectionPool`: knex compiles
 * and runs its real queries, and this answers the few an IdempotentConsumer
 * and the tests' handlers send, with transactions (BEGIN, COMMIT, ROLLBACK)
 * over an in-memory inbox and effects table. No database needed.
 */
import knex, { type Knex } from "knex";

type QueryCallback = (error: Error | null, result?: { command: string; rows: object[]; rowCount: number }) => void;

interface Writes {
  inbox: string[];
  effects: string[];
}

export class FakePg {
  /** Committed inbox rows, as `consumer/message_id`. */
  readonly inbox = new Set<string>();
  /** Committed rows of the `effects` table, by their `label`. */
  readonly effects: string[] = [];
  /** The next connects fail with these, one each (the database is down, then back). */
  readonly connectFailures: Error[] = [];
  connects = 0;
  commits = 0;

  readonly db: Knex = knex({
    client: "pg",
    // Knex reports each failed connect itself; the tests make those on purpose.
    log: { warn: () => undefined },
    connectionPool: {
      connect: async () => {
        this.connects++;
        const failure = this.connectFailures.shift();
        if (failure) throw failure;
        return new FakeConnection(this);
      },
      end: async () => undefined,
      // pg.Pool's gauges, which knex's type asks for.
      totalCount: 0,
      idleCount: 0,
      waitingCount: 0,
    },
  });
}

class FakeConnection {
  private writes: Writes | null = null;

  constructor(private readonly pg: FakePg) {}

  query(config: string | { text: string; values?: unknown[] }, callback: QueryCallback): void {
    const text = typeof config === "string" ? config : config.text;
    const values = typeof config === "string" ? [] : (config.values ?? []);
    try {
      callback(null, this.run(text.trim(), values));
    } catch (error) {
      callback(error as Error);
    }
  }

  release(): void {}

  private run(sql: string, values: unknown[]) {
    const none = (command: string) => ({ command, rows: [], rowCount: 0 });
    if (/^select version\(\)/i.test(sql)) return { command: "SELECT", rows: [{ version: "PostgreSQL 15.0 (fake)" }], rowCount: 1 };
    if (/^BEGIN/i.test(sql)) {
      this.writes = { inbox: [], effects: [] };
      return none("BEGIN");
    }
    if (/^COMMIT/i.test(sql)) {
      this.pg.commits++;
      for (const key of this.writes?.inbox ?? []) this.pg.inbox.add(key);
      this.pg.effects.push(...(this.writes?.effects ?? []));
      this.writes = null;
      return none("COMMIT");
    }
    if (/^ROLLBACK/i.test(sql)) {
      this.writes = null;
      return none("ROLLBACK");
    }
    if (/^insert into "inbox"/i.test(sql)) {
      // (consumer, message_id) pairs, one per row; `on conflict do nothing returning message_id`.
      const rows: { message_id: unknown }[] = [];
      for (let i = 0; i < values.length; i += 2) {
        const key = `${values[i]}/${values[i + 1]}`;
        if (this.pg.inbox.has(key) || this.writes?.inbox.includes(key)) continue;
        this.writes?.inbox.push(key);
        rows.push({ message_id: values[i + 1] });
      }
      return { command: "INSERT", rows, rowCount: rows.length };
    }
    if (/^insert into "effects"/i.test(sql)) {
      this.writes?.effects.push(String(values[0]));
      return { command: "INSERT", rows: [], rowCount: 1 };
    }
    throw new Error(`the fake database does not know: ${sql}`);
  }
}
