/**
 * Plays the orchestrator's side of the purchase saga for participant tests:
 * commands travel the way the orchestrator's do (a row in the orchestrator
 * database's outbox, streamed by Debezium), with a test-only `replyTo` topic
 * whose replies are collected here.
 */
import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import knex from "knex";
import type { KafkaMessage } from "kafkajs";
import { databaseUrl } from "../../../lib/environment";
import type { InboundMessage } from "../../../lib/inbox/idempotent-consumer";
import { OutboxWriter } from "../../../lib/outbox/outbox-writer";
import type { MessageDeclaration, PayloadOf } from "../../../lib/messages/message-declaration";
import type { SagaCommand, SagaCorrelation, SagaReply } from "../../../lib/saga/messages";
import { collectTopic, createTopics } from "../../support/kafka";
import { waitUntil } from "../../support/wait";

export interface CommandOptions {
  step: number;
  direction?: SagaCorrelation["direction"];
  attempt?: number;
}

/** A command on its way: its message id and the correlation its reply will echo. */
export interface SentCommand {
  id: string;
  correlation: SagaCorrelation;
}

export class OrchestratorStandIn {
  private readonly db = knex({ client: "pg", connection: databaseUrl("orchestrator"), pool: { min: 0, max: 2 } });
  private readonly outbox = new OutboxWriter();

  private constructor(
    readonly replyTopic: string,
    private readonly collected: { records: KafkaMessage[]; stop: () => Promise<void> },
  ) {}

  static async start(): Promise<OrchestratorStandIn> {
    const replyTopic = `itest.${randomUUID().slice(0, 8)}.saga-replies`;
    await createTopics([replyTopic]);
    return new OrchestratorStandIn(replyTopic, await collectTopic(replyTopic));
  }

  /** Commits a declared command to the orchestrator's outbox, for its topic, keyed by its saga id. The payload may be a bad one on purpose. */
  async send<Payload>(declaration: MessageDeclaration, sagaId: string, payload: Payload, options: CommandOptions): Promise<SentCommand> {
    const { name: type, topic } = declaration;
    const command = this.command(type, sagaId, payload, options);
    const [id] = await this.db.transaction((trx) => this.outbox.append(trx, { topic, key: sagaId, type, payload: command }));
    return { id, correlation: command.correlation };
  }

  /** A command as the inbox hands it to a handler, for tests that run handlers in transactions of their own. */
  inbound<Payload>(declaration: MessageDeclaration, sagaId: string, payload: Payload, options: CommandOptions): InboundMessage<SagaCommand<Payload>> {
    const { name: type, topic } = declaration;
    return { id: randomUUID(), type, key: sagaId, topic, payload: this.command(type, sagaId, payload, options) };
  }

  private command<Payload>(type: string, sagaId: string, payload: Payload, options: CommandOptions): SagaCommand<Payload> {
    return {
      type,
      correlation: { sagaType: "purchase", sagaId, step: options.step, direction: options.direction ?? "forward", attempt: options.attempt ?? 1 },
      replyTo: this.replyTopic,
      payload,
    };
  }

  /** Every reply that answers this command so far (a re-delivered command must not add one). */
  repliesTo(command: SentCommand): SagaReply[] {
    return this.collected.records
      .map((r) => JSON.parse(r.value!.toString()) as SagaReply)
      .filter((reply) => isDeepStrictEqual(reply.correlation, command.correlation));
  }

  /** Waits for the reply to this command; its type is the test's to check. */
  async replyTo<Reply extends MessageDeclaration>(command: SentCommand): Promise<SagaReply<PayloadOf<Reply>>> {
    const { sagaId, step, direction, attempt } = command.correlation;
    const [reply] = await waitUntil(`the reply to step ${step} (${direction}, attempt ${attempt}) of saga ${sagaId}`, () => {
      const replies = this.repliesTo(command);
      return replies.length > 0 && replies;
    });
    return reply as SagaReply<PayloadOf<Reply>>;
  }

  async stop(): Promise<void> {
    await this.collected.stop();
    await this.db.destroy();
  }
}
