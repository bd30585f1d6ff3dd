/**
 * What every saga participant does with a command: check the envelope and its
 * payload, apply the command, and append the reply to the outbox in the SAME
 * transaction, so the reply exists exactly when the change does.
 */
import type { ValidationSchema } from "fastest-validator";
import type { Knex } from "knex";
import type { AfterCommit, InboundMessage } from "../inbox/idempotent-consumer";
import { OutboxWriter } from "../outbox/outbox-writer";
import { replyFor, type SagaCommand } from "./messages";

/** The reply a command handler decided on; the correlation is added from the command. */
export interface ParticipantReply {
  type: string;
  payload: unknown;
  /** Work for after the commit, such as dropping cache entries the change made stale. */
  afterCommit?: AfterCommit;
}

/** Runs with the participant service as `this` (see mixins/idempotent-channel). */
export type CommandExecutor<Payload, Participant = unknown> = (
  this: Participant,
  trx: Knex.Transaction,
  command: SagaCommand<Payload>,
) => Promise<ParticipantReply>;

/**
 * The payloads of a batch's commands of one type, for a participant that
 * locks what they will change before applying them (IdempotentConsumer's
 * `lockShared`). The messages have passed their schema checks by then.
 */
export function commandPayloads<Payload>(messages: InboundMessage[], commandType: string): Payload[] {
  return messages.filter((m) => m.type === commandType).map((m) => (m.payload as SagaCommand<Payload>).payload);
}

/** fastest-validator schema of the correlation every command carries and every reply echoes. */
export const SAGA_CORRELATION_SCHEMA = {
  type: "object",
  props: {
    sagaType: "string|min:1",
    sagaId: "string|min:1",
    step: "number|integer|min:0",
    direction: { type: "enum", values: ["forward", "compensate"] },
    attempt: "number|integer|min:1",
  },
} as const;

/** fastest-validator schema of a `SagaReply` envelope, as the orchestrator checks every reply. */
export const SAGA_REPLY_SCHEMA = { type: "string|min:1", correlation: SAGA_CORRELATION_SCHEMA, payload: "object" } as const;

/** fastest-validator schema for a `SagaCommand` envelope of `commandType` carrying `payload`. */
export function sagaCommandSchema(commandType: string, payload: ValidationSchema): ValidationSchema {
  return {
    type: { type: "equal", value: commandType, strict: true },
    correlation: SAGA_CORRELATION_SCHEMA,
    replyTo: "string|min:1",
    payload: { type: "object", props: payload },
  };
}

/** An inbox handler for one command type: validates, executes, replies. */
export function sagaCommandHandler<Payload, Participant = unknown>(
  commandType: string,
  payloadSchema: ValidationSchema,
  execute: CommandExecutor<Payload, Participant>,
) {
  const outbox = new OutboxWriter();
  return {
    schema: sagaCommandSchema(commandType, payloadSchema),
    async handle(this: Participant, trx: Knex.Transaction, message: InboundMessage<SagaCommand<Payload>>): Promise<AfterCommit | void> {
      const command = message.payload;
      const reply = await execute.call(this, trx, command);
      await outbox.append(trx, {
        topic: command.replyTo,
        // The saga id keys every message of one saga, so its replies stay in order.
        key: command.correlation.sagaId,
        type: reply.type,
        payload: replyFor(command, reply.type, reply.payload),
      });
      return reply.afterCommit;
    },
  };
}
