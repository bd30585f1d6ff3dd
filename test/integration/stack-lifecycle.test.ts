/**
 * The stack tool itself: `status` sees every part healthy, `down` stops what
 * the stack started and nothing else, and `up` brings it all back.
 * Runs last (see test/support/sequencer.js): it restarts every part.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { LOCAL_STACK } from "../../lib/environment";
import { portOwner } from "../../stack/processes";

const repoRoot = path.resolve(__dirname, "..", "..");
const stackPorts = [LOCAL_STACK.postgresPort, ...LOCAL_STACK.redisPorts, LOCAL_STACK.kafkaPort, LOCAL_STACK.connectPort, LOCAL_STACK.zipkinPort];
// Servers of the machine's own (not the stack's), where present: down must leave them alone.
const foreignPorts = [5432, 6379];

function stack(command: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", "stack/cli.ts", command], { cwd: repoRoot, timeout: 300_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

test("status reports every part healthy", async () => {
  const { code, output } = await stack("status");
  expect(output).toMatch(/^postgres\s+healthy/m);
  expect(output).toMatch(/^redis\s+healthy\s+cluster ok, 6 nodes/m);
  expect(output).toMatch(/^kafka\s+healthy/m);
  expect(output).toMatch(/^connect\s+healthy .*6 outbox connectors RUNNING/m);
  expect(output).toMatch(/^zipkin\s+healthy\s+UI and API on http:\/\/127\.0\.0\.1:\d+/m);
  // The services npm test started, each with its pid and log, and the gateway ready.
  for (const service of ["account", "api", "ops", "orchestrator", "order", "payment", "product", "purchase"]) {
    expect(output).toMatch(new RegExp(`^  ${service}\\s+running, pid \\d+; log .*services/${service}\\.log$`, "m"));
  }
  expect(output).toMatch(/^  gateway \/ready: 200 /m);
  expect(code).toBe(0);
});

test("down stops every part it started and nothing else; up brings them back healthy", async () => {
  const foreignBefore = await Promise.all(foreignPorts.map(portOwner));

  const down = await stack("down");
  expect(down.code).toBe(0);
  expect(await Promise.all(stackPorts.map(portOwner))).toEqual(stackPorts.map(() => undefined));
  expect(await Promise.all(foreignPorts.map(portOwner))).toEqual(foreignBefore);
  expect((await stack("status")).code).toBe(1);

  const up = await stack("up");
  expect(up.output).toMatch(/stack: up in/);
  expect(up.code).toBe(0);
  expect((await stack("status")).code).toBe(0);
});
