/**
 * The README's Configuration table against the code: every variable a
 * settings reader reads is in the table, and every variable the table lists
 * is read by one. The readers are run on an environment that notes each name
 * asked for.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { loadAuthConfig } from "../../../lib/auth/auth-config";
import {
  SERVICE_DATABASES,
  connectUrl,
  databaseUrl,
  databaseUrlVariable,
  gatewayPort,
  kafkaBrokers,
  kafkaConnection,
  redisLogin,
  redisNodes,
} from "../../../lib/environment";
import { retentionPolicyFromEnv } from "../../../lib/outbox/retention";
import { readBrokerSettings } from "../../../lib/settings/broker-settings";
import { readTracingSettings } from "../../../lib/telemetry/tracing-settings";
import { readAccountSettings } from "../../../services/account/account-settings";
import { readApiSettings } from "../../../services/api/api-settings";
import { readOrchestratorSettings } from "../../../services/orchestrator/orchestrator-settings";
import { walletSettings } from "../../../services/payment/wallet-opening";
import { readProductSettings } from "../../../services/product/product-settings";
import { readPurchaseSettings } from "../../../services/purchase/purchase-settings";

/** An environment holding only `given`, that remembers every name read from it. */
function recordingEnvironment(given: Record<string, string>): { env: NodeJS.ProcessEnv; read: Set<string> } {
  const read = new Set<string>();
  const env = new Proxy<NodeJS.ProcessEnv>(given, {
    get(target, name) {
      if (typeof name === "string") read.add(name);
      return Reflect.get(target, name);
    },
  });
  return { env, read };
}

function namesReadByTheServices(): Set<string> {
  // The values without a default: a secret of the least length the auth config takes, and each database's URL.
  const databaseUrls = Object.fromEntries(SERVICE_DATABASES.map((d) => [databaseUrlVariable(d), `postgres://${d}_service@db/${d}`]));
  const logins = { KAFKA_USERNAME: "payment", KAFKA_PASSWORD: "k", REDIS_USERNAME: "services", REDIS_PASSWORD: "r" };
  const { env, read } = recordingEnvironment({ JWT_SECRET: "s".repeat(48), ...databaseUrls, ...logins });
  for (const reader of [
    readBrokerSettings,
    readApiSettings,
    readAccountSettings,
    readProductSettings,
    readOrchestratorSettings,
    readPurchaseSettings,
    walletSettings,
    loadAuthConfig,
    retentionPolicyFromEnv,
    readTracingSettings,
  ]) {
    reader(env);
  }
  // Where the parts are (lib/environment.ts) is read from process.env itself.
  const saved = process.env;
  process.env = env;
  try {
    for (const database of SERVICE_DATABASES) databaseUrl(database);
    redisNodes();
    kafkaBrokers();
    kafkaConnection();
    redisLogin();
    connectUrl();
    gatewayPort();
  } finally {
    process.env = saved;
  }
  return read;
}

function configurationTable(): string[] {
  const readme = readFileSync(path.join(__dirname, "../../../README.md"), "utf8");
  const section = readme.split(/^## Configuration$/m)[1]?.split(/^## /m)[0] ?? "";
  return section.split("\n").filter((line) => line.startsWith("| `"));
}

describe("the README's Configuration table", () => {
  const read = namesReadByTheServices();
  const rows = configurationTable();

  it("lists every variable the services read", () => {
    const listed = rows.join("\n");
    const isDatabaseUrl = (name: string) => SERVICE_DATABASES.some((d) => name.replace(/_FILE$/, "") === databaseUrlVariable(d));
    const missing = [...read].filter((name) => !listed.includes(`\`${name}\``) && !isDatabaseUrl(name));
    expect(missing).toEqual([]);
    expect(listed).toContain("`DATABASE_URL_<SERVICE>`");
    expect(listed).toContain("`DATABASE_URL_<SERVICE>_FILE`");
  });

  it("lists only variables some service reads", () => {
    const listedNames = rows.flatMap((row) => [...(row.split("|")[1] ?? "").matchAll(/`([A-Z][A-Z0-9_<>]*)`/g)].map((m) => m[1]!));
    expect(listedNames.length).toBeGreaterThan(20);
    const unread = listedNames.filter((name) => {
      const pattern = new RegExp(`^${name.replace(/<[A-Z]+>/g, "[A-Z]+")}$`);
      return ![...read].some((r) => pattern.test(r));
    });
    expect(unread).toEqual([]);
  });
});
