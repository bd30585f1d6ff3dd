/**
 * docker-compose.yml read against the code, since no container engine runs
 * here: every setting it gives a service is one the code reads, start order
 * rests on healthchecks, images are pinned to what the local stack runs, and
 * every service folder has its container.
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import yaml from "js-yaml";
import { SERVICE_DATABASES, changeCaptureUrlVariable, databaseUrlVariable, isServiceDatabase } from "../../../lib/environment";
import { scramPrincipals } from "../../../stack/kafka-access";
import { ZIPKIN_MAX_SPANS } from "../../../stack/parts/zipkin";

const repoRoot = path.resolve(__dirname, "..", "..", "..");
const read = (file: string) => readFileSync(path.join(repoRoot, file), "utf8");

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  restart?: string;
  profiles?: string[];
  environment?: Record<string, string | number>;
  healthcheck?: { test?: unknown; disable?: boolean };
  depends_on?: Record<string, { condition: string }> | string[];
  labels?: Record<string, string>;
}

const compose = yaml.load(read("docker-compose.yml")) as { services: Record<string, ComposeService> };
const services = Object.entries(compose.services);
const APP_IMAGE = "saga-orchestration:latest";
const appServices = services.filter(([, s]) => s.image === APP_IMAGE);
const serviceFolders = readdirSync(path.join(repoRoot, "services"), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

/** Every setting name the code reads: from the settings readers, `env.X`, `process.env.X`, and the databases' URLs. */
function settingsTheCodeReads(): Set<string> {
  const names = new Set<string>([...SERVICE_DATABASES.map(databaseUrlVariable), ...SERVICE_DATABASES.map(changeCaptureUrlVariable)]);
  const sources = (dir: string): string[] =>
    readdirSync(path.join(repoRoot, dir), { withFileTypes: true }).flatMap((d) =>
      d.isDirectory() ? sources(path.join(dir, d.name)) : d.name.endsWith(".ts") ? [path.join(dir, d.name)] : [],
    );
  for (const file of ["moleculer.config.ts", ...sources("lib"), ...sources("mixins"), ...sources("services"), ...sources("stack"), ...sources("ops")]) {
    const text = read(file);
    for (const pattern of [
      /Setting\(\s*env,\s*"([A-Z][A-Z0-9_]*)"/g,
      /\benv\.([A-Z][A-Z0-9_]*)/g,
      /\benv\(\s*"([A-Z][A-Z0-9_]*)"/g,
      /\benv\[\s*"([A-Z][A-Z0-9_]*)"\s*\]/g,
    ]) {
      for (const match of text.matchAll(pattern)) names.add(match[1]);
    }
  }
  return names;
}

test("every setting compose gives a service is one the code reads", () => {
  const read = settingsTheCodeReads();
  const unknown = appServices.flatMap(([name, s]) =>
    Object.keys(s.environment ?? {})
      .filter((key) => !read.has(key))
      .map((key) => `${name}: ${key}`),
  );
  expect(unknown).toEqual([]);
});

test("every service gets what it cannot start without, and the gateway waits for every other service", () => {
  for (const [name, s] of appServices) {
    expect([name, Object.keys(s.environment ?? {})]).toEqual([
      name,
      expect.arrayContaining(["JWT_SECRET", "REDIS_NODES", "KAFKA_BROKERS", "CONNECT_URL", "METRICS_PORT"]),
    ]);
  }
  const expected = String(compose.services.api.environment?.EXPECTED_SERVICES).split(",").sort();
  expect(expected).toEqual(serviceFolders.filter((name) => name !== "api"));
});

test("every container holds only the database credentials of what it uses", () => {
  const credentialsOf = (s: ComposeService) =>
    Object.keys(s.environment ?? {})
      .filter((key) => key.includes("DATABASE_URL"))
      .sort();
  const owners = SERVICE_DATABASES.map(databaseUrlVariable);
  const expected = (name: string) =>
    name === "migrate"
      ? owners
      : name === "connectors"
        ? [...owners, ...SERVICE_DATABASES.map(changeCaptureUrlVariable)]
        : isServiceDatabase(name)
          ? [databaseUrlVariable(name)]
          : [];
  for (const [name, s] of appServices) expect([name, credentialsOf(s)]).toEqual([name, expected(name).sort()]);
  // The gateway, ops and the console hold none.
  for (const name of ["api", "ops", "console"]) expect(credentialsOf(compose.services[name])).toEqual([]);
  // Each URL names the database's own role, never the superuser.
  for (const [, s] of appServices) {
    for (const [key, value] of Object.entries(s.environment ?? {}))
      if (key.includes("DATABASE_URL")) expect(String(value)).toMatch(/^postgres:\/\/[a-z]+_(service|cdc):/);
  }
});

test("each service logs in to Kafka as itself and to Redis as the services' user; the jobs hold only the admin's Kafka login, where they need it", () => {
  const login = (s: ComposeService) => [s.environment?.KAFKA_USERNAME, s.environment?.REDIS_USERNAME];
  for (const folder of serviceFolders) {
    expect([folder, ...login(compose.services[folder])]).toEqual([folder, folder, "services"]);
    expect(String(compose.services[folder].environment?.KAFKA_PASSWORD)).toContain(`KAFKA_${folder.toUpperCase()}_PASSWORD`);
  }
  expect(login(compose.services.console)).toEqual(["ops", "services"]);
  expect(login(compose.services["kafka-access"])).toEqual(["admin", undefined]);
  for (const job of ["migrate", "connectors"]) expect([job, ...login(compose.services[job])]).toEqual([job, undefined, undefined]);
});

test("the broker formats a login for every principal the grants name, and Redis's nodes share the local stack's ACL template", () => {
  const script = read("ops/kafka/start-broker.sh");
  const principals = /^PRINCIPALS="([^"]+)"/m.exec(script)?.[1].split(" ").sort();
  expect(principals).toEqual(scramPrincipals(serviceFolders).sort());
  const passed = Object.keys(compose.services.kafka.environment ?? {})
    .filter((key) => /^LOGIN_[A-Z]+_PASSWORD$/.test(key))
    .map((key) => key.replace(/^LOGIN_|_PASSWORD$/g, "").toLowerCase())
    .sort();
  expect(passed).toEqual(principals);
  for (const i of [1, 2, 3, 4, 5, 6]) expect(compose.services[`redis-${i}`].entrypoint).toEqual(["sh", "/etc/redis/start-node.sh"]);
});

test("every service folder runs, compiled, in a container of its name, and so do the jobs and the console", () => {
  for (const folder of serviceFolders) expect(compose.services[folder]?.command).toEqual([`dist/services/${folder}/${folder}.service.js`]);
  expect(compose.services.migrate.entrypoint).toEqual(["node", "dist/stack/cli.js", "migrate"]);
  expect(compose.services.connectors.entrypoint).toEqual(["node", "dist/stack/cli.js", "connectors"]);
  expect(compose.services["kafka-access"].entrypoint).toEqual(["node", "dist/stack/cli.js", "kafka-access"]);
  expect(compose.services.console.entrypoint).toEqual(["node", "dist/ops/operator-console.js"]);
  expect(JSON.stringify(compose)).not.toContain("tsx");
});

test("every long-running container has a healthcheck, and whatever waits for one waits for it to be healthy", () => {
  const longRunning = services.filter(([, s]) => s.restart === "unless-stopped");
  expect(longRunning.filter(([, s]) => !s.healthcheck?.test || s.healthcheck.disable).map(([name]) => name)).toEqual([]);
  for (const [name, s] of services) {
    const dependencies = s.depends_on ?? {};
    expect([name, Array.isArray(dependencies)]).toEqual([name, false]);
    for (const [target, { condition }] of Object.entries(dependencies)) {
      const other = compose.services[target];
      if (other.restart === "unless-stopped") expect([name, target, condition]).toEqual([name, target, "service_healthy"]);
      else expect([name, target, condition]).toEqual([name, target, "service_completed_successfully"]);
    }
  }
});

test("one-shot jobs retry until what they talk to answers", () => {
  for (const job of ["redis-cluster-init", "migrate", "kafka-access", "connectors"]) expect([job, compose.services[job].restart]).toEqual([job, "on-failure"]);
});

test("images are pinned, to the versions the local stack runs", () => {
  const pom = read("stack/maven/pom.xml");
  const version = (name: string) => new RegExp(`<${name}.version>([^<]+)</`).exec(pom)?.[1];
  const images = services.map(([, s]) => s.image).filter((image): image is string => image !== undefined && image !== APP_IMAGE);
  // A release, not a line: x.y.z, or for PostgreSQL (whose releases are numbered major.minor) 15.19.
  const release = (image: string) => (image.startsWith("postgres:") ? /:\d+\.\d+$/ : /:v?\d+\.\d+\.\d+(\.Final)?$/).test(image);
  expect(images.filter((image) => !release(image))).toEqual([]);
  expect(images).toEqual(
    expect.arrayContaining([`apache/kafka:${version("kafka")}`, `quay.io/debezium/connect:${version("debezium")}`, `openzipkin/zipkin:${version("zipkin")}`]),
  );
  expect(read("Dockerfile")).toMatch(/^FROM node:\d+\.\d+\.\d+-bookworm-slim/m);
});

test("Traefik routes the API and the operator's dashboard, and does not cut event streams", () => {
  const traefik = compose.services.traefik;
  expect(compose.services.api.labels?.["traefik.http.routers.api.rule"]).toContain("PathPrefix(`/ops`)");
  expect(traefik.command).toContain("--entrypoints.web.transport.respondingTimeouts.readTimeout=0s");
  expect(traefik.image).toMatch(/^traefik:v3\.(6\.([1-9]|\d\d)|([7-9]|\d\d)\.\d+)$/);
});

test("Kafka keeps its data on its volume", () => {
  expect(compose.services.kafka.environment?.KAFKA_LOG_DIRS).toBe("/var/lib/kafka/data");
});

test("the trace and metrics stores are bounded: Zipkin holds as many spans as in the local stack, Prometheus keeps a set time", () => {
  expect(compose.services.zipkin.environment?.MEM_MAX_SPANS).toBe(String(ZIPKIN_MAX_SPANS));
  expect(compose.services.zipkin.environment?.JAVA_OPTS).toMatch(/-Xmx\d+m/);
  expect(compose.services.prometheus.command).toContainEqual(expect.stringMatching(/^--storage\.tsdb\.retention\.time=\d+d$/));
});
