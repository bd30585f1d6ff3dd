/**
 * The plumbing every service database shares:
 * - outbox: messages committed with the business change; Debezium streams them (column names are the Outbox Event Router's);
 * - inbox: ids of messages already applied, written in the same transaction as their effect;
 * - debezium_signal: Debezium's signal table (an incremental snapshot of outbox rows = replay).
 * The publication carries inserts only: pruning old outbox rows must not produce events.
 */
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("outbox", (t) => {
    t.uuid("id").primary();
    t.text("aggregatetype").notNullable();
    t.text("aggregateid").notNullable();
    t.text("type").notNullable();
    t.jsonb("payload").notNullable();
    t.text("traceparent");
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(["created_at"]);
  });
  await knex.schema.createTable("inbox", (t) => {
    t.text("consumer").notNullable();
    t.uuid("message_id").notNullable();
    t.timestamp("received_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(["consumer", "message_id"]);
    t.index(["received_at"]);
  });
  await knex.schema.createTable("debezium_signal", (t) => {
    t.string("id", 42).primary();
    t.string("type", 32).notNullable();
    t.string("data", 2048);
  });
  await knex.raw("create publication outbox_publication for table outbox, debezium_signal with (publish = 'insert')");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop publication if exists outbox_publication");
  await knex.schema.dropTable("debezium_signal");
  await knex.schema.dropTable("inbox");
  await knex.schema.dropTable("outbox");
}
