/**
 * A crowd at the account door: N sign-ups sent at once, then their N logins
 * at once. Prints, for each wave, how the requests were answered (status ×
 * count), when the last answer came, and p50/p99 of the answer times. A 201
 * or 200 is served; a 503 carries Retry-After and wrote nothing; a 504 leaves
 * the client unable to tell whether its account exists.
 *   npm run bench:sign-ups -- [people]
 * Needs the system running with limits above the load:
 *   RATE_LIMIT=100000000 AUTH_RATE_LIMIT=100000 npm start
 */
import { randomUUID } from "node:crypto";
import { api } from "../test/support/http";
import { percentile } from "./sale-support";

const people = Number(process.argv[2] ?? 50);
const PASSWORD = "correct horse battery";

async function wave(name: string, send: (email: string) => Promise<{ status: number }>, emails: string[]): Promise<void> {
  const started = Date.now();
  const answers = await Promise.all(
    emails.map(async (email) => {
      const res = await send(email).catch(() => ({ status: 0 }));
      return { status: res.status, ms: Date.now() - started };
    }),
  );
  const statuses = new Map<number, number>();
  for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
  const times = answers.map((a) => a.ms).sort((a, b) => a - b);
  const byStatus = [...statuses].map(([status, n]) => `${status === 0 ? "no answer" : status}×${n}`).join(", ");
  console.log(
    `${name}: ${byStatus}; last answer after ${(times[times.length - 1] / 1000).toFixed(2)} s, p50 ${percentile(times, 50)} ms, p99 ${percentile(times, 99)} ms`,
  );
}

async function main(): Promise<void> {
  const emails = Array.from({ length: people }, () => `crowd-${randomUUID()}@example.com`);
  console.log(`${people} people sign up at once, then log in at once`);
  await wave(
    "sign-ups",
    (email) =>
      api("POST", "/api/v1/account/auth/register", {
        body: { email, password: PASSWORD, first_name: "Crowd", last_name: "Member", address: "1 Queue Street", phone_number: "0123456789" },
      }),
    emails,
  );
  await wave("logins", (email) => api("POST", "/api/v1/account/auth/login", { body: { email, password: PASSWORD } }), emails);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
