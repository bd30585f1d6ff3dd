/**
 * Wire types shared with saga participants in other services, and the
 * schemas of their envelopes. Keep them small and stable: changing a field
 * here changes every participant's contract.
 */
import type { MessageDeclaration, MessageSchema } from "../messages/message-declaration";

/** Whether a command moves the saga forward or undoes a step. */
export type SagaDirection = "forward" | "compensate";

/**
 * Identifies exactly which command a reply answers. The orchestrator sets it on
 * every command; the participant copies it unchanged into its reply, so a late,
 * duplicated or out-of-order reply can be recognised and ignored.
 */
export interface SagaCorrelation {
  sagaType: string;
  sagaId: string;
  /** Index of the step in the saga definition, from 0. */
  step: number;
  direction: SagaDirection;
  /** 1 for the first send; each re-send of the same step and direction adds 1. */
  attempt: number;
}

/** What a participant receives on its command topic. */
export interface SagaCommand<Payload = unknown> {
  type: string;
  correlation: SagaCorrelation;
  /** Topic the participant publishes its reply to. */
  replyTo: string;
  payload: Payload;
}

/** What a participant publishes to `command.replyTo`. Its message id rides the transport (outbox id). */
export interface SagaReply<Payload = unknown> {
  type: string;
  correlation: SagaCorrelation;
  payload: Payload;
}

/** Published once to the definition's result topic when a saga ends. */
export interface SagaResult<Data = unknown> {
  sagaType: string;
  sagaId: string;
  status: "COMPLETED" | "FAILED";
  reason: string | null;
  data: Data;
}

/** Builds the reply to a command, echoing its correlation untouched. */
export function replyFor<Payload>(command: SagaCommand, type: string, payload: Payload): SagaReply<Payload> {
  return { type, correlation: { ...command.correlation }, payload };
}

/** fastest-validator schema of the correlation every command carries and every reply echoes. */
const SAGA_CORRELATION_SCHEMA = {
  type: "object",
  props: {
    sagaType: "string|min:1",
    sagaId: "string|min:1",
    step: "number|integer|min:0",
    direction: { type: "enum", values: ["forward", "compensate"] },
    attempt: "number|integer|min:1",
  },
} as const;

/** fastest-validator schema of a `SagaCommand` carrying the declared command. */
export function sagaCommandSchema(command: MessageDeclaration): MessageSchema {
  return {
    type: { type: "equal", value: command.name, strict: true },
    correlation: SAGA_CORRELATION_SCHEMA,
    replyTo: "string|min:1",
    payload: { type: "object", props: command.schema },
  };
}

/** fastest-validator schema of a `SagaReply` carrying the declared reply: the orchestrator checks every reply with it. */
export function sagaReplySchema(reply: MessageDeclaration): MessageSchema {
  return {
    type: { type: "equal", value: reply.name, strict: true },
    correlation: SAGA_CORRELATION_SCHEMA,
    payload: { type: "object", props: reply.schema },
  };
}
