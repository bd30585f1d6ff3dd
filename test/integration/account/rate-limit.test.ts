/**
 * The login limit is counted in Redis, so it holds across gateway instances:
 * two extra gateways with a limit of 5 per window share one budget. The
 * window is an hour here so that no window boundary falls inside the test.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { gatewayPort } from "../../../lib/environment";
import { waitUntil } from "../../support/wait";

const repoRoot = path.resolve(__dirname, "..", "..", "..");
const LIMIT = 5;
const ports = [gatewayPort() + 101, gatewayPort() + 102];
const gateways: ChildProcess[] = [];

function startGateway(port: number, prefix: string): ChildProcess {
  const runner = path.join(repoRoot, "node_modules", "moleculer", "bin", "moleculer-runner.js");
  return spawn(process.execPath, ["--import", "tsx", runner, "--config", "moleculer.config.ts", "services/api/api.service.ts"], {
    cwd: repoRoot,
    env: {
      ...process.env,
      PORT: String(port),
      NODE_ID: `ratelimit-gw-${port}-${process.pid}`,
      AUTH_RATE_LIMIT: String(LIMIT),
      RATE_LIMIT_WINDOW_MS: "3600000",
      RATE_LIMIT_PREFIX: prefix,
      EXPECTED_SERVICES: "account",
      LOG_LEVEL: "warn",
    },
    stdio: "ignore",
  });
}

const login = (port: number) =>
  fetch(`http://127.0.0.1:${port}/api/v1/account/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: `nobody-${randomUUID()}@example.com`, password: "not the password" }),
  });

beforeAll(async () => {
  // A fresh counter namespace: no earlier run's attempts count against this one.
  const prefix = `ratelimit-test-${randomUUID()}`;
  for (const port of ports) gateways.push(startGateway(port, prefix));
  // Ready means the account service is registered with that gateway's broker (EXPECTED_SERVICES).
  for (const port of ports) await waitUntil(`gateway on ${port}`, async () => (await fetch(`http://127.0.0.1:${port}/ready`)).ok, 60_000);
});

afterAll(() => {
  for (const gateway of gateways) gateway.kill("SIGTERM");
});

test(`login attempts beyond ${LIMIT} per window get 429, counted across two gateways`, async () => {
  const statuses: number[] = [];
  for (let i = 0; i < LIMIT + 3; i++) statuses.push((await login(ports[i % 2])).status);

  expect(statuses).toEqual([...Array(LIMIT).fill(401), 429, 429, 429]);
  const limited = await login(ports[0]);
  expect(limited.status).toBe(429);
  expect(await limited.json()).toEqual({ error: { status: 429, type: "RATE_LIMIT_EXCEEDED", message: "Rate limit exceeded" } });
  expect(limited.headers.get("x-rate-limit-remaining")).toBe("0");
  // When to come back: the seconds left in the window, at least one.
  const retryAfter = Number(limited.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(Math.ceil(Number(limited.headers.get("x-rate-limit-reset")) / 1000 - Date.now() / 1000) + 1);
});
