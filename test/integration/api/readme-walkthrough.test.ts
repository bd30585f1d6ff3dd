/**
 * The README's walkthrough, run as a user would paste it: its shell block,
 * word for word, against the running system. Run twice, as a reader running
 * it again would: the second sign-up and category are refused (409) and the
 * rest carries on.
 */
import { execFile } from "node:child_process";
import { repoRoot, walkthrough } from "../../support/readme";

function bash(script: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile("bash", ["-euo", "pipefail", "-c", script], { cwd: repoRoot, timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

/** The purchase states the event stream sent, in order. */
const statuses = (output: string) => [...output.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]) as { status: string; step: string | null });

test.each(["first", "second"])("the walkthrough runs as written (%s time) and its purchase completes", async () => {
  const { code, output } = await bash(walkthrough());
  expect(code).toBe(0);
  const events = statuses(output);
  expect(events.length).toBeGreaterThanOrEqual(2);
  expect(events[events.length - 1]).toMatchObject({ status: "COMPLETED", step: null });
  // No refusal but the 409s of a second run (the email and the category name are taken), and no server error.
  const refusals = [...output.matchAll(/"error":\{"status":(\d+)/g)].map((m) => m[1]);
  expect(refusals.filter((status) => status !== "409")).toEqual([]);
});
