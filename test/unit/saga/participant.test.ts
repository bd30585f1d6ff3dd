import Validator from "fastest-validator";
import type { Knex } from "knex";
import { declareMessage } from "../../../lib/messages/message-declaration";
import { sagaCommandSchema, type SagaCommand } from "../../../lib/saga/messages";
import { sagaCommandHandler } from "../../../lib/saga/participant";

const DoThing = declareMessage("DoThing", "things.commands", { purchaseId: "uuid" });

const command: SagaCommand<{ purchaseId: string }> = {
  type: "DoThing",
  correlation: { sagaType: "purchase", sagaId: "saga-1", step: 2, direction: "compensate", attempt: 3 },
  replyTo: "replies.topic",
  payload: { purchaseId: "3f1c2a9e-8d4b-4c1e-9a7f-2b6d5e8c1a01" },
};

describe("sagaCommandSchema", () => {
  const check = new Validator().compile(sagaCommandSchema(DoThing));

  it("accepts a well-formed command", () => {
    expect(check(JSON.parse(JSON.stringify(command)))).toBe(true);
  });

  it.each([
    ["another command type", { ...command, type: "DoOtherThing" }, "type"],
    ["no replyTo", { ...command, replyTo: undefined }, "replyTo"],
    ["an unknown direction", { ...command, correlation: { ...command.correlation, direction: "sideways" } }, "correlation.direction"],
    ["attempt 0", { ...command, correlation: { ...command.correlation, attempt: 0 } }, "correlation.attempt"],
    ["an invalid payload", { ...command, payload: { purchaseId: "nope" } }, "payload.purchaseId"],
    ["no payload", { ...command, payload: undefined }, "payload"],
  ])("refuses %s", (_case, value, field) => {
    const result = check(value);
    expect(result).not.toBe(true);
    expect((result as { field: string }[]).map((e) => e.field)).toContain(field);
  });
});

describe("sagaCommandHandler", () => {
  it("appends the executor's reply to the command's replyTo topic, keyed by the saga id, echoing the correlation", async () => {
    const inserts: { table: string; rows: Record<string, unknown>[] }[] = [];
    const trx = ((table: string) => ({ insert: async (rows: Record<string, unknown>[]) => void inserts.push({ table, rows }) })) as unknown as Knex.Transaction;
    const handler = sagaCommandHandler(DoThing, async (_trx, received) => ({
      type: "ThingDone",
      payload: { purchaseId: received.payload.purchaseId },
    }));

    await handler.handle(trx, { id: "m-1", type: "DoThing", key: "saga-1", topic: "things.commands", payload: command });

    expect(inserts).toHaveLength(1);
    expect(inserts[0].table).toBe("outbox");
    expect(inserts[0].rows[0]).toMatchObject({ aggregatetype: "replies.topic", aggregateid: "saga-1", type: "ThingDone" });
    expect(JSON.parse(inserts[0].rows[0].payload as string)).toEqual({ type: "ThingDone", correlation: command.correlation, payload: command.payload });
  });
});
