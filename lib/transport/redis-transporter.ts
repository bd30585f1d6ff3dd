import { Errors, Transporters } from "moleculer";
import type { Cluster } from "ioredis";

/**
 * Moleculer's Redis transporter over Redis Cluster's sharded Pub/Sub, with each packet's publish awaited.
 *
 * Sharded: a packet goes to the primary that owns its channel's slot (SPUBLISH), and each broker subscribes
 * at every primary (SSUBSCRIBE, one connection per shard, kept by ioredis's `shardedSubscribers`, which the
 * cluster options must set: moleculer.config does). Plain
 * PUBLISH reaches a random node and crosses the cluster bus to the subscriber's, and Redis 7.0 does not set
 * TCP_NODELAY on the bus's outgoing links: a packet sent right after another waited out the peer's delayed
 * ACK. Measured on the local cluster, publish → message p99 38–40 ms (8–17 of 300 over 30 ms) against 1.7–3.3
 * ms sharded; it was the 40–50 ms p99 of every `GET` through the gateway.
 *
 * Awaited: the stock `send` fires the command and resolves at once. With ioredis's auto-pipelining the command
 * only leaves on the next event-loop turn, so a broker that stops right after a send (its DISCONNECT packet)
 * closed the connection first: the packet was lost, and the dropped command's rejection went unhandled and took
 * the process down. Awaited, the packet goes out before the disconnect, and a failed publish reaches transit,
 * which already handles a failed send for every packet type.
 */
export class ShardedRedisTransporter extends Transporters.Redis {
  declare clientPub: Cluster | null;
  declare clientSub: Cluster | null;
  /** The packet type of each channel subscribed to. */
  private readonly commandOf = new Map<string, string>();
  private listening: Cluster | null = null;

  override async subscribe(cmd: string, nodeID?: string): Promise<void> {
    const subscriber = this.clientSub;
    if (!subscriber) throw new Errors.MoleculerError("Redis client is not available");
    // The stock connect listens for plain messages only; sharded ones arrive as smessageBuffer (one listener per client).
    if (this.listening !== subscriber) {
      this.listening = subscriber;
      subscriber.on("smessageBuffer", (channel: Buffer, packet: Buffer) => {
        const command = this.commandOf.get(channel.toString());
        if (command) void this.receive(command, packet);
      });
    }
    const channel = this.getTopicName(cmd, nodeID);
    this.commandOf.set(channel, cmd);
    await subscriber.ssubscribe(channel);
  }

  override async send(topic: string, data: Buffer): Promise<void> {
    if (!this.clientPub) throw new Errors.MoleculerError("Redis client is not available");
    await this.clientPub.spublish(topic, data);
  }
}

/** The name under which the transporter is registered (the `type` in the broker's `transporter`). */
export const SHARDED_REDIS_TRANSPORTER = "ShardedRedis";

// What `Transporters.register` does (untyped in Moleculer's declarations): the resolver looks a type up by key
// and constructs it per broker, so brokers sharing one config never share a connection.
Object.assign(Transporters, { [SHARDED_REDIS_TRANSPORTER]: ShardedRedisTransporter });
