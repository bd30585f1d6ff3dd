/** A private PostgreSQL 15 cluster: logical WAL for Debezium, one database per service. */
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Client } from "pg";
import { LOCAL_STACK, SERVICE_DATABASES } from "../../lib/environment";
import { ADMIN_ROLE, adminDatabaseUrl, localDatabaseUrl, rolePassword } from "../database-roles";
import { postgresDataDirFor, postgresDir } from "../layout";
import { StackError, assertPortsFree, progress, run, waitFor } from "../processes";
import type { PartStatus, StackPart } from "./part";

const PART = "postgres";
const { postgresPort: port } = LOCAL_STACK;
/** The superuser's password before each installation made its own; a cluster still on it is moved to its own at start. */
const FORMER_ADMIN_PASSWORD = "saga-local-dev";
const logFile = path.join(postgresDir, "postgres.log");

// initdb and postgres refuse to run as root; as root they run as the `postgres` user.
const serverUser = process.getuid?.() === 0 ? "postgres" : undefined;

/** Where the server's binaries live (initdb, pg_ctl, pgbench): not on PATH on Debian. */
export async function postgresBinDir(): Promise<string> {
  try {
    const dir = (await run("pg_config", ["--bindir"])).trim();
    if (existsSync(path.join(dir, "initdb"))) return dir;
  } catch {
    // fall through to the Debian layout
  }
  for (const major of ["17", "16", "15"]) {
    const dir = `/usr/lib/postgresql/${major}/bin`;
    if (existsSync(path.join(dir, "initdb"))) return dir;
  }
  throw new StackError("initdb not found: install the PostgreSQL 15 server (apt-get install postgresql-15)");
}

let chosenDataDir: string | undefined;

/** The data folder, and the server user owns the folders it writes to. */
async function dataDir(): Promise<string> {
  if (chosenDataDir) return chosenDataDir;
  mkdirSync(postgresDir, { recursive: true });
  let reachable = true;
  if (serverUser) {
    reachable = await run("test", ["-x", postgresDir], { asUser: serverUser }).then(
      () => true,
      () => false,
    );
    await run("chown", [serverUser, postgresDir]);
  }
  chosenDataDir = postgresDataDirFor(reachable);
  return chosenDataDir;
}

async function pgCtl(args: string[]): Promise<string> {
  return run(path.join(await postgresBinDir(), "pg_ctl"), args, { asUser: serverUser });
}

async function isRunning(dir: string): Promise<boolean> {
  if (!existsSync(path.join(dir, "PG_VERSION"))) return false;
  try {
    await pgCtl(["-D", dir, "status"]);
    return true;
  } catch {
    return false;
  }
}

/**
 * The server settings, rewritten before every start so a changed setting here
 * reaches existing clusters too (ALTER SYSTEM edits are overwritten).
 */
function writeSettings(dir: string): void {
  const settings = {
    listen_addresses: "'127.0.0.1'",
    port: String(port),
    unix_socket_directories: `'${dir}'`,
    wal_level: "logical",
    max_replication_slots: "20",
    max_wal_senders: "20",
    max_connections: "300",
    shared_buffers: "256MB",
    shared_preload_libraries: "'pg_stat_statements'",
    // Debezium slots on quiet databases must not pin WAL forever on a dev disk.
    max_slot_wal_keep_size: "4GB",
    // Every service shares this one WAL here, so commits queue on its flush: let concurrent ones share it.
    commit_delay: "2000",
    commit_siblings: "3",
  };
  const conf = Object.entries(settings)
    .map(([k, v]) => `${k} = ${v}`)
    .join("\n");
  writeFileSync(path.join(dir, "postgresql.auto.conf"), conf + "\n");
}

async function initCluster(dir: string): Promise<void> {
  progress(PART, `initdb into ${dir}`);
  mkdirSync(dir, { recursive: true });
  const pwFile = path.join(path.dirname(dir), "pwfile");
  writeFileSync(pwFile, rolePassword(ADMIN_ROLE) + "\n", { mode: 0o600 });
  if (serverUser) await run("chown", ["-R", `${serverUser}:${serverUser}`, path.dirname(dir)]);
  chmodSync(dir, 0o700);
  await run(
    path.join(await postgresBinDir(), "initdb"),
    ["-D", dir, "-U", ADMIN_ROLE, `--pwfile=${pwFile}`, "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"],
    {
      asUser: serverUser,
    },
  );
  rmSync(pwFile);
  writeFileSync(
    path.join(dir, "pg_hba.conf"),
    [
      "# loopback only, password auth; replication for Debezium",
      "host all all 127.0.0.1/32 scram-sha-256",
      "host replication all 127.0.0.1/32 scram-sha-256",
      "",
    ].join("\n"),
  );
  if (serverUser) await run("chown", ["-R", `${serverUser}:${serverUser}`, dir]);
}

/** The cluster's own `postgres` database, for creating the others and for health checks. */
export const maintenanceUrl = () => adminDatabaseUrl("postgres");

/** A cluster made before installations had their own superuser password gets this installation's. */
async function retireFormerAdminPassword(): Promise<void> {
  const former = new Client({ connectionString: localDatabaseUrl("postgres", ADMIN_ROLE, FORMER_ADMIN_PASSWORD) });
  try {
    await former.connect();
  } catch {
    return; // not on the former password (or not up yet: the readiness wait says which)
  }
  try {
    await former.query(`alter role ${former.escapeIdentifier(ADMIN_ROLE)} password ${former.escapeLiteral(rolePassword(ADMIN_ROLE))}`);
    progress(PART, "superuser moved off the former shared password to this installation's own");
  } finally {
    await former.end();
  }
}

async function createDatabases(): Promise<void> {
  const admin = new Client({ connectionString: maintenanceUrl() });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>("select datname from pg_database");
    const existing = new Set(rows.map((r) => r.datname));
    for (const db of SERVICE_DATABASES) {
      if (!existing.has(db)) {
        progress(PART, `create database ${db}`);
        await admin.query(`create database "${db}"`);
      }
    }
  } finally {
    await admin.end();
  }
}

async function acceptsQueries(): Promise<boolean> {
  const client = new Client({ connectionString: maintenanceUrl() });
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export const postgres: StackPart = {
  name: PART,
  logFile,
  async up() {
    const dir = await dataDir();
    if (!existsSync(path.join(dir, "PG_VERSION"))) await initCluster(dir);
    if (await isRunning(dir)) {
      progress(PART, `already running on 127.0.0.1:${port}`);
    } else {
      await assertPortsFree(PART, [port]);
      writeSettings(dir);
      if (serverUser) await run("chown", [`${serverUser}:${serverUser}`, path.join(dir, "postgresql.auto.conf")]);
      progress(PART, `starting on 127.0.0.1:${port}`);
      await pgCtl(["-D", dir, "-l", logFile, "-w", "-t", "60", "start"]).catch((e: Error) => {
        throw new StackError(`${e.message}\n--- see ${logFile} ---`);
      });
    }
    await retireFormerAdminPassword();
    await waitFor(PART, "ready for queries", acceptsQueries, 60_000, logFile);
    await createDatabases();
  },
  async down() {
    const dir = await dataDir();
    if (await isRunning(dir)) {
      progress(PART, "stopping");
      await pgCtl(["-D", dir, "-m", "fast", "-w", "stop"]);
    }
  },
  async status(): Promise<PartStatus> {
    const dir = await dataDir();
    if (!(await isRunning(dir))) return { healthy: false, detail: "not running" };
    return (await acceptsQueries())
      ? { healthy: true, detail: `127.0.0.1:${port}, databases: ${SERVICE_DATABASES.join(", ")}` }
      : { healthy: false, detail: "running but not accepting queries" };
  },
};
