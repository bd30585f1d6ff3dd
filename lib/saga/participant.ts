/**
 * What every saga participant does with a command: check the envelope and its
 * payload, apply the command, and append the reply to the outbox in the SAME
 * transaction, so the reply exists exactly when the change does.
 */
import type { Knex } from "knex";
import type { AfterCommit, InboundMessage } from "../inbox/idempotent-consumer";
import type { Message, MessageDeclaration, PayloadOf } from "../messages/message-declaration";
import { OutboxWriter } from "../outbox/outbox-writer";
import { replyFor, sagaCommandSchema, type SagaCommand } from "./messages";

/** The reply a command handler decided on (see messageOf); the correlation is added from the command. */
export interface ParticipantReply extends Message {
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
export function commandPayloads<Command extends MessageDeclaration>(messages: InboundMessage[], command: Command): PayloadOf<Command>[] {
  return messages.filter((m) => m.type === command.name).map((m) => (m.payload as SagaCommand<PayloadOf<Command>>).payload);
}

/** An inbox handler for one declared command: checks it against its declaration, executes it, replies. */
export function sagaCommandHandler<Command extends MessageDeclaration, Participant = unknown>(
  declaration: Command,
  execute: CommandExecutor<PayloadOf<Command>, Participant>,
) {
  const outbox = new OutboxWriter();
  return {
    schema: sagaCommandSchema(declaration),
    async handle(this: Participant, trx: Knex.Transaction, message: InboundMessage<SagaCommand<PayloadOf<Command>>>): Promise<AfterCommit | void> {
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
