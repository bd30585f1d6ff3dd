import { isSagaCommand, isSagaReply, replyFor, type SagaCommand } from "../../../lib/saga/messages";

const command: SagaCommand = {
  type: "DoA",
  correlation: { sagaType: "abcd", sagaId: "s-1", step: 2, direction: "compensate", attempt: 3 },
  replyTo: "saga.replies",
  payload: { x: 1 },
};

describe("saga wire messages", () => {
  it("replyFor echoes the command's correlation, as a copy", () => {
    const reply = replyFor(command, "ADone", { ok: true });
    expect(reply).toEqual({ type: "ADone", correlation: command.correlation, payload: { ok: true } });
    expect(reply.correlation).not.toBe(command.correlation);
  });

  it("recognises well-formed commands and replies, e.g. parsed from JSON", () => {
    const wire = JSON.parse(JSON.stringify(command));
    expect(isSagaCommand(wire)).toBe(true);
    expect(isSagaReply(JSON.parse(JSON.stringify(replyFor(command, "ADone", null))))).toBe(true);
  });

  it.each([
    ["not an object", "DoA"],
    ["no type", { correlation: command.correlation, payload: {} }],
    ["no payload", { type: "ADone", correlation: command.correlation }],
    ["no correlation", { type: "ADone", payload: {} }],
    ["a negative step", { type: "ADone", payload: {}, correlation: { ...command.correlation, step: -1 } }],
    ["a fractional step", { type: "ADone", payload: {}, correlation: { ...command.correlation, step: 1.5 } }],
    ["attempt 0", { type: "ADone", payload: {}, correlation: { ...command.correlation, attempt: 0 } }],
    ["an unknown direction", { type: "ADone", payload: {}, correlation: { ...command.correlation, direction: "sideways" } }],
    ["no saga id", { type: "ADone", payload: {}, correlation: { ...command.correlation, sagaId: undefined } }],
  ])("rejects a reply with %s", (_case, value) => {
    expect(isSagaReply(value)).toBe(false);
  });

  it("rejects a command without replyTo", () => {
    const { replyTo: _omitted, ...withoutReplyTo } = command;
    expect(isSagaCommand(withoutReplyTo)).toBe(false);
  });
});
