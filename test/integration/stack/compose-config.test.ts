/**
 * docker-compose.yml as Compose itself reads it (Debian's docker-compose, which
 * .ci/run installs): it must validate, with the secrets it asks for given.
 * No engine runs here, so nothing is started; test/unit/ops/compose.test.ts
 * checks the file against the code.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { SERVICE_DATABASES } from "../../../lib/environment";

const repoRoot = path.resolve(__dirname, "..", "..", "..");

function composeConfig(env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile("docker-compose", ["--file", "docker-compose.yml", "config", "--quiet"], { cwd: repoRoot, env, timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 127) : 0, output: stdout + stderr }),
    );
  });
}

const DATABASE_SECRETS = SERVICE_DATABASES.flatMap((d) => [`${d.toUpperCase()}_DB_PASSWORD`, `${d.toUpperCase()}_CDC_PASSWORD`]);
const KAFKA_SECRETS = ["ADMIN", "BROKER", "CONNECT", "API", "ACCOUNT", "PRODUCT", "ORDER", "PAYMENT", "PURCHASE", "ORCHESTRATOR", "OPS"].map(
  (p) => `KAFKA_${p}_PASSWORD`,
);
const REDIS_SECRETS = ["ADMIN", "SERVICES", "REPLICATION"].map((u) => `REDIS_${u}_PASSWORD`);
const SECRETS: Record<string, string> = {
  JWT_SECRET: "x".repeat(48),
  ...Object.fromEntries([...KAFKA_SECRETS, ...REDIS_SECRETS].map((name) => [name, "compose-check"])),
  POSTGRES_PASSWORD: "compose-check",
  GRAFANA_ADMIN_PASSWORD: "compose-check",
  ...Object.fromEntries(DATABASE_SECRETS.map((name) => [name, "compose-check"])),
};

test("docker-compose validates the file, the console's profile included", async () => {
  const { code, output } = await composeConfig({ PATH: process.env.PATH, ...SECRETS, COMPOSE_PROFILES: "tools" });
  if (code === 127) throw new Error("docker-compose is not installed: apt-get install --no-install-recommends docker-compose");
  expect(output).toBe("");
  expect(code).toBe(0);
});

test.each(Object.keys(SECRETS))("without %s, compose refuses to start and names it", async (secret) => {
  const { [secret]: _, ...others } = SECRETS;
  const { code, output } = await composeConfig({ PATH: process.env.PATH, ...others });
  expect(code).not.toBe(0);
  expect(output).toContain(`set ${secret}`);
});
