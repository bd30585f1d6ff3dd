/**
 * The machine's own yardstick: `pgbench -N` (simple updates, no branch-row
 * contention) on the stack's Postgres, in a scratch database of its own.
 * Absolute saga rates on a shared 2-core machine drift from run to run; a
 * rate divided by this one, measured in the same run, does much less.
 */
import path from "node:path";
import { Client } from "pg";
import { maintenanceUrl, postgresBinDir } from "../stack/parts/postgres";
import { run } from "../stack/processes";

const DATABASE = "pgbench";

export interface PgbenchSettings {
  clients: number;
  threads: number;
  seconds: number;
}

export const PGBENCH_DEFAULTS: PgbenchSettings = { clients: 8, threads: 2, seconds: 15 };

/** Transactions per second of `pgbench -N` with these settings, in a scratch database created for it and dropped after. */
export async function pgbenchTps(settings: PgbenchSettings = PGBENCH_DEFAULTS): Promise<number> {
  const url = new URL(maintenanceUrl());
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    // A run cut short leaves its scratch database behind; start from nothing.
    await admin.query(`drop database if exists ${DATABASE}`);
    await admin.query(`create database ${DATABASE}`);
    url.pathname = `/${DATABASE}`;
    const pgbench = path.join(await postgresBinDir(), "pgbench");
    await run(pgbench, ["-i", "-q", "-s", "1", url.toString()]);
    const out = await run(pgbench, ["-N", "-c", String(settings.clients), "-j", String(settings.threads), "-T", String(settings.seconds), url.toString()]);
    const tps = /tps = ([\d.]+)/.exec(out);
    if (!tps) throw new Error(`pgbench printed no tps:\n${out}`);
    return Number(tps[1]);
  } finally {
    await admin.query(`drop database if exists ${DATABASE}`).catch(() => undefined);
    await admin.end();
  }
}

/** "pgbench -N -c 8 -j 2 -T 15", for the printed figures. */
export const pgbenchCommand = (s: PgbenchSettings = PGBENCH_DEFAULTS) => `pgbench -N -c ${s.clients} -j ${s.threads} -T ${s.seconds}`;
