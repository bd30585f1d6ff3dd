/**
 * The running stack's connection settings, as `stack env` prints them and the
 * stack tool hands them to services, tests and benchmarks. A value the
 * environment already gives wins; otherwise the local stack's own (ports,
 * and this installation's generated secrets).
 */
import { SERVICE_DATABASES, changeCaptureUrlVariable, connectUrl, databaseUrlVariable, gatewayPort, kafkaBrokers, redisNodes } from "../lib/environment";
import { changeCaptureRole, localDatabaseUrl, serviceRole } from "./database-roles";
import { installationJwtSecret } from "./installation-secret";
import { KAFKA_ADMIN, kafkaPassword } from "./kafka-access";
import { REDIS_ADMIN_USER, REDIS_SERVICES_USER, redisPassword } from "./redis-access";
import { prometheusUrl } from "./parts/prometheus";
import { zipkinUrl } from "./parts/zipkin";

const given = (name: string) => process.env[name]?.trim() || undefined;

export function stackEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const db of SERVICE_DATABASES) {
    env[databaseUrlVariable(db)] = given(databaseUrlVariable(db)) ?? localDatabaseUrl(db, serviceRole(db));
    env[changeCaptureUrlVariable(db)] = given(changeCaptureUrlVariable(db)) ?? localDatabaseUrl(db, changeCaptureRole(db));
  }
  env.REDIS_NODES = redisNodes()
    .map((n) => `${n.host}:${n.port}`)
    .join(",");
  env.KAFKA_BROKERS = kafkaBrokers().join(",");
  // Tools, tests and `npm run dev` are the admin; each service started by the stack is itself (serviceLogins).
  Object.assign(env, login("KAFKA", KAFKA_ADMIN, kafkaPassword), login("REDIS", REDIS_ADMIN_USER, redisPassword));
  env.CONNECT_URL = connectUrl();
  env.PORT = String(gatewayPort());
  env.ZIPKIN_URL = zipkinUrl();
  env.PROMETHEUS_URL = prometheusUrl();
  // Traces go to the stack's Zipkin unless the environment says otherwise (TRACE_EXPORTER=none turns them off).
  env.TRACE_EXPORTER = given("TRACE_EXPORTER") ?? "zipkin";
  env.JWT_SECRET = given("JWT_SECRET") ?? installationJwtSecret();
  return env;
}

/** `<PREFIX>_USERNAME` and its password as given, else the admin's; none when the password comes from a file. */
function login(prefix: "KAFKA" | "REDIS", admin: string, passwordOf: (user: string) => string): Record<string, string> {
  const username = given(`${prefix}_USERNAME`) ?? admin;
  if (given(`${prefix}_PASSWORD_FILE`)) return { [`${prefix}_USERNAME`]: username };
  return { [`${prefix}_USERNAME`]: username, [`${prefix}_PASSWORD`]: given(`${prefix}_PASSWORD`) ?? passwordOf(username) };
}

/** The Kafka and Redis logins of a service the stack tool starts: its own Kafka principal, and the services' Redis user. */
export function serviceLogins(name: string): Record<string, string> {
  return {
    KAFKA_USERNAME: name,
    KAFKA_PASSWORD: kafkaPassword(name),
    REDIS_USERNAME: REDIS_SERVICES_USER,
    REDIS_PASSWORD: redisPassword(REDIS_SERVICES_USER),
  };
}

/**
 * Puts the stack's settings into this process's environment where it has
 * none: for the stack tool and the benchmarks. Not under NODE_ENV=production
 * (compose's migrate, kafka-access and connectors jobs): there every setting
 * is given, and a missing one must be named, not made up as a local secret
 * (in the image, where .stack/ cannot even be written).
 */
export function useStackEnv(env: NodeJS.ProcessEnv = process.env): void {
  if (env.NODE_ENV === "production") return;
  for (const [name, value] of Object.entries(stackEnv())) env[name] ||= value;
}
