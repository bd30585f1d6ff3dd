/**
 * Where the running system finds its parts. Every value comes from the
 * environment, read and checked by lib/settings. Outside production the
 * defaults are the local stack's loopback ports, so a process started by
 * `npm start` / `npm test` (which export these) and one started by hand
 * against the local stack agree; under NODE_ENV=production every address
 * must be given. Credentials have no default anywhere.
 */
import type { ClusterOptions } from "ioredis";
import type { SASLOptions } from "kafkajs";
import { integerSetting, secretSetting, textSetting, type Environment } from "./settings/settings";
export const SERVICE_DATABASES = ["account", "product", "order", "payment", "purchase", "orchestrator"] as const;
export type ServiceDatabase = (typeof SERVICE_DATABASES)[number];
export const isServiceDatabase = (name: string): name is ServiceDatabase => (SERVICE_DATABASES as readonly string[]).includes(name);

/** The highest STACK_PORT_OFFSET that keeps every local-stack port below 65536. */
const MAX_PORT_OFFSET = 40_000;

/** Shifts every local-stack port, so a second stack (another checkout, another developer) can run beside the first. */
const offset = integerSetting(process.env, "STACK_PORT_OFFSET", 0, 0, MAX_PORT_OFFSET);

export const LOCAL_STACK = {
  postgresPort: 15432 + offset,
  redisPorts: [17001, 17002, 17003, 17004, 17005, 17006].map((port) => port + offset),
  kafkaPort: 19092 + offset,
  kafkaControllerPort: 19093 + offset,
  connectPort: 18083 + offset,
  gatewayPort: 3000 + offset,
  /** Zipkin: its API and UI, and where services send spans. */
  zipkinPort: 19411 + offset,
  /** Prometheus, when the stack runs it (`up --with prometheus`, and always for `npm test`). */
  prometheusPort: 19090 + offset,
  /** Each service started by the stack tool serves Prometheus metrics on this port + its index. */
  metricsBasePort: 13030 + offset,
} as const;

export interface RedisNode {
  host: string;
  port: number;
}

/**
 * An address from `name`, or the local stack's: never under
 * NODE_ENV=production, where a part that is not named is a startup error
 * rather than a loopback port nobody listens on.
 */
function addressSetting(env: Environment, name: string, localStack: string, pattern: RegExp, what: string): string {
  if (env.NODE_ENV === "production" && !env[name]) throw new Error(`${name} must be set in production (${what})`);
  return textSetting(env, name, localStack, pattern, what);
}

const HOST_PORT_LIST = /^\s*[^\s:,]+:\d{1,5}\s*(,\s*[^\s:,]+:\d{1,5}\s*)*$/;
const HTTP_URL = /^https?:\/\/\S+$/;

/** The Debezium connector that streams a database's outbox into Kafka. */
export const connectorName = (database: ServiceDatabase) => `outbox-${database}`;

export function databaseUrlVariable(database: ServiceDatabase): string {
  return `DATABASE_URL_${database.toUpperCase()}`;
}

/** A service's own database, with its own role: there is no default, as a password in the code would be everybody's. */
export function databaseUrl(database: ServiceDatabase): string {
  return requiredUrl(databaseUrlVariable(database));
}

function requiredUrl(name: string): string {
  const url = secretSetting(process.env, name);
  if (url === undefined) {
    throw new Error(`${name} is not set: npm start and npm test set it; by hand, export $(npm run -s stack -- env | xargs)`);
  }
  return url;
}

/** Where Debezium reads a database's outbox, with the change-capture role (only the stack tool registers connectors). */
export function changeCaptureUrlVariable(database: ServiceDatabase): string {
  return `CDC_DATABASE_URL_${database.toUpperCase()}`;
}

export function changeCaptureUrl(database: ServiceDatabase): string {
  return requiredUrl(changeCaptureUrlVariable(database));
}

export function redisNodes(env: Environment = process.env): RedisNode[] {
  const local = LOCAL_STACK.redisPorts.map((port) => `127.0.0.1:${port}`).join(",");
  return addressSetting(env, "REDIS_NODES", local, HOST_PORT_LIST, "host:port of each Redis Cluster node, comma-separated")
    .split(",")
    .map((entry) => {
      const [host, port] = entry.trim().split(":");
      return { host: host!, port: Number(port) };
    });
}

export function kafkaBrokers(env: Environment = process.env): string[] {
  return addressSetting(env, "KAFKA_BROKERS", `127.0.0.1:${LOCAL_STACK.kafkaPort}`, HOST_PORT_LIST, "host:port of each Kafka broker, comma-separated")
    .split(",")
    .map((broker) => broker.trim());
}

/** The one SASL mechanism the broker accepts from clients. */
export const KAFKA_SASL_MECHANISM = "scram-sha-512";

export interface KafkaConnection {
  brokers: string[];
  sasl?: SASLOptions;
}

/**
 * Where Kafka is and who this process is to it: KAFKA_USERNAME with
 * KAFKA_PASSWORD (or KAFKA_PASSWORD_FILE), checked by SCRAM-SHA-512. Without
 * them the client connects anonymously, which the stack's broker refuses.
 */
export function kafkaConnection(env: NodeJS.ProcessEnv = process.env): KafkaConnection {
  const brokers = kafkaBrokers(env);
  const username = env.KAFKA_USERNAME?.trim();
  if (!username) return { brokers };
  const password = secretSetting(env, "KAFKA_PASSWORD");
  if (password === undefined) throw new Error("KAFKA_USERNAME is set without KAFKA_PASSWORD (or KAFKA_PASSWORD_FILE)");
  return { brokers, sasl: { mechanism: KAFKA_SASL_MECHANISM, username, password } };
}

export interface RedisLogin {
  username?: string;
  password?: string;
}

/** Who this process is to Redis: REDIS_USERNAME with REDIS_PASSWORD (or REDIS_PASSWORD_FILE), or nobody. */
export function redisLogin(env: NodeJS.ProcessEnv = process.env): RedisLogin {
  const username = env.REDIS_USERNAME?.trim();
  if (!username) return {};
  const password = secretSetting(env, "REDIS_PASSWORD");
  if (password === undefined) throw new Error("REDIS_USERNAME is set without REDIS_PASSWORD (or REDIS_PASSWORD_FILE)");
  return { username, password };
}

/** ioredis Cluster options that log in to every node as this process's Redis user. */
export function redisClusterOptions(options: ClusterOptions = {}): ClusterOptions {
  return { ...options, redisOptions: { ...options.redisOptions, ...redisLogin() } };
}

export function connectUrl(env: Environment = process.env): string {
  return addressSetting(env, "CONNECT_URL", `http://127.0.0.1:${LOCAL_STACK.connectPort}`, HTTP_URL, "Kafka Connect's REST URL");
}

/** Where the gateway listens. */
export function gatewayPort(env: Environment = process.env): number {
  return integerSetting(env, "PORT", LOCAL_STACK.gatewayPort, 1, 65_535);
}

/** The one currency the store sells in, as its ISO 4217 code; money everywhere is integer minor units of it. */
export function storeCurrency(env: Environment = process.env): string {
  return textSetting(env, "STORE_CURRENCY", "VND", /^[A-Z]{3}$/, "an ISO 4217 currency code in capitals, such as VND");
}
