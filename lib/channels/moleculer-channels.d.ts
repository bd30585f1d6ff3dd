/**
 * @moleculer/channels 0.1.8's typings are generated from its JSDoc: they mark
 * every option required (every adapter's too: AMQP, NATS and Redis options
 * for a Kafka adapter) and give the middleware a shape Moleculer's Middleware
 * type does not accept. This overload states what the package takes and
 * returns at run time (src/index.js fills in every option left out), so the
 * broker config needs no cast.
 */
import type { ConsumerConfig, KafkaConfig, ProducerConfig } from "kafkajs";
import type { Middleware as BrokerMiddleware } from "moleculer";

declare module "@moleculer/channels" {
  export interface ChannelsMiddlewareOptions {
    adapter: {
      /** A registered adapter's name (see lib/channels/kafka-batch-adapter). */
      type: string;
      options: {
        kafka: KafkaConfig & { producerOptions?: ProducerConfig; consumerOptions?: Partial<ConsumerConfig> };
        /** Put before every topic name; "" for none. */
        prefix?: string;
        maxInFlight?: number;
        maxRetries?: number;
      };
    };
    /** Hand channel handlers a Moleculer Context (default false). */
    context?: boolean;
    schemaProperty?: string;
    sendMethodName?: string;
    adapterPropertyName?: string;
    channelHandlerTrigger?: string;
  }

  export function Middleware(options: ChannelsMiddlewareOptions): BrokerMiddleware;
}
