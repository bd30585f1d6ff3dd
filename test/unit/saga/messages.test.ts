import Validator from "fastest-validator";
import { declareMessage } from "../../../lib/messages/message-declaration";
import { replyFor, sagaCommandSchema, sagaReplySchema, type SagaCommand } from "../../../lib/saga/messages";

const DoA = declareMessage("DoA", "a.commands", { x: "number" });
const ADone = declareMessage("ADone", "saga.replies", { ok: "boolean" });

const command: SagaCommand = {
  type: "DoA",
  correlation: { sagaType: "abcd", sagaId: "s-1", step: 2, direction: "compensate", attempt: 3 },
  replyTo: "saga.replies",
  payload: { x: 1 },
};

// Compiled as the idempotent consumer compiles a handler's schema.
const validator = new Validator();
const isReply = validator.compile({ $$root: false, ...sagaReplySchema(ADone) });
const isCommand = validator.compile({ $$root: false, ...sagaCommandSchema(DoA) });

describe("saga wire messages", () => {
  it("replyFor echoes the command's correlation, as a copy", () => {
    const reply = replyFor(command, "ADone", { ok: true });
    expect(reply).toEqual({ type: "ADone", correlation: command.correlation, payload: { ok: true } });
    expect(reply.correlation).not.toBe(command.correlation);
  });

  it("take well-formed commands and replies, as parsed from JSON", () => {
    expect(isCommand(JSON.parse(JSON.stringify(command)))).toBe(true);
    expect(isReply(JSON.parse(JSON.stringify(replyFor(command, "ADone", { ok: true }))))).toBe(true);
  });

  it.each([
    ["no type", { correlation: command.correlation, payload: {} }],
    ["no payload", { type: "ADone", correlation: command.correlation }],
    ["no correlation", { type: "ADone", payload: {} }],
    ["a negative step", { type: "ADone", payload: {}, correlation: { ...command.correlation, step: -1 } }],
    ["a fractional step", { type: "ADone", payload: {}, correlation: { ...command.correlation, step: 1.5 } }],
    ["attempt 0", { type: "ADone", payload: {}, correlation: { ...command.correlation, attempt: 0 } }],
    ["an unknown direction", { type: "ADone", payload: {}, correlation: { ...command.correlation, direction: "sideways" } }],
    ["no saga id", { type: "ADone", payload: {}, correlation: { ...command.correlation, sagaId: undefined } }],
    ["another type", { ...replyFor(command, "ADone", { ok: true }), type: "AFailed" }],
    ["a payload without a declared field", replyFor(command, "ADone", {})],
    ["a payload whose field has the wrong type", replyFor(command, "ADone", { ok: "yes" })],
  ])("refuse a reply with %s", (_case, value) => {
    expect(isReply(value)).not.toBe(true);
  });

  it("refuse a command without replyTo, or of another type", () => {
    const { replyTo: _omitted, ...withoutReplyTo } = command;
    expect(isCommand(withoutReplyTo)).not.toBe(true);
    expect(isCommand({ ...command, type: "DoB" })).not.toBe(true);
    expect(isCommand({ ...command, payload: { x: "1" } })).not.toBe(true);
  });
});
