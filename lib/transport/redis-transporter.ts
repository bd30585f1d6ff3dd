import { Errors, Transporters } from "moleculer";
import type { Cluster } from "ioredis";

/**
 * Moleculer's Redis transporter, with each packet's PUBLISH awaited.
 *
 * The stock `send` fires the PUBLISH and resolves at once. With ioredis's auto-pipelining the command only
 * leaves on the next event-loop turn, so a broker that stops right after a send (its DISCONNECT packet) closed
 * the connection first: the packet was lost, and the dropped command's rejection went unhandled and took the
 * process down. Awaited, the packet goes out before the disconnect, and a failed PUBLISH reaches transit, which
 * already handles a failed send for every packet type.
 */
export class AwaitedRedisTransporter extends Transporters.Redis {
  declare clientPub: Cluster | null;

  override async send(topic: string, data: Buffer): Promise<void> {
    if (!this.clientPub) throw new Errors.MoleculerError("Redis client is not available");
    await this.clientPub.publish(topic, data);
  }
}

/** The name under which the transporter is registered (the `type` in the broker's `transporter`). */
export const AWAITED_REDIS_TRANSPORTER = "AwaitedRedis";

// What `Transporters.register` does (untyped in Moleculer's declarations): the resolver looks a type up by key
// and constructs it per broker, so brokers sharing one config never share a connection.
Object.assign(Transporters, { [AWAITED_REDIS_TRANSPORTER]: AwaitedRedisTransporter });
