/**
 * Who may open which database in the local stack.
 *
 * - `<db>_service` owns its database, its schema's tables and the outbox
 *   publication. It can connect to that database only, and is neither
 *   superuser nor replication. Each service gets only its own (stack/services.ts).
 * - `<db>_cdc` is Debezium's: REPLICATION, CONNECT to that database only, SELECT
 *   on the published tables and INSERT on the signal table (an incremental
 *   snapshot writes its watermarks there). The owner is a member, so a service
 *   may end its own connector's stale walsender (lib/outbox/outbox-flow.ts).
 * - The cluster's superuser is the stack tool's own key: it makes roles and
 *   databases, and the benchmarks read pg_stat_statements with it.
 *
 * Every password is made at random per installation (stack/installation-secret.ts).
 * Compose makes the same roles on each Postgres's first start (ops/postgres/service-roles.sh).
 */
import { Client } from "pg";
import { LOCAL_STACK, SERVICE_DATABASES, type ServiceDatabase } from "../lib/environment";
import { installationSecret } from "./installation-secret";
import { progress } from "./processes";

export const ADMIN_ROLE = "saga";
export const serviceRole = (database: ServiceDatabase) => `${database}_service`;
export const changeCaptureRole = (database: ServiceDatabase) => `${database}_cdc`;

/** What Debezium reads (the connector's table.include.list) and the one table it writes. */
const PUBLISHED_TABLES = ["outbox", "debezium_signal"];
const SIGNAL_TABLE = "debezium_signal";

export function rolePassword(role: string): string {
  return installationSecret(`postgres-${role}-password`);
}

export function localDatabaseUrl(database: string, role: string, password = rolePassword(role)): string {
  return `postgres://${role}:${encodeURIComponent(password)}@127.0.0.1:${LOCAL_STACK.postgresPort}/${database}`;
}

/** The superuser's URL: for the stack tool and the benchmarks, never for a service. */
export const adminDatabaseUrl = (database = "postgres") => localDatabaseUrl(database, ADMIN_ROLE);

async function asAdmin<T>(database: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminDatabaseUrl(database) });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates the role, or brings an existing one back to these attributes and its installation's password. */
async function ensureLoginRole(client: Client, role: string, replication: boolean): Promise<void> {
  const attributes = `login nosuperuser nocreatedb nocreaterole ${replication ? "replication" : "noreplication"}`;
  const password = client.escapeLiteral(rolePassword(role));
  const { rowCount } = await client.query("select 1 from pg_roles where rolname = $1", [role]);
  const verb = rowCount ? "alter" : "create";
  await client.query(`${verb} role ${client.escapeIdentifier(role)} with ${attributes} password ${password}`);
}

/**
 * Objects an earlier installation made as the superuser (before these roles
 * existed) pass to the database's owner, so its migrations can change them.
 * Extension members (pg_stat_statements' views) stay with the superuser.
 */
async function handOverToOwner(client: Client, owner: string): Promise<void> {
  const to = client.escapeIdentifier(owner);
  const owned = await client.query<{ name: string; kind: string }>(
    `select c.relname as name, c.relkind as kind from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'S') and c.relowner = (select oid from pg_roles where rolname = $1)
        and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype in ('e', 'a', 'i'))`,
    [ADMIN_ROLE],
  );
  // A table's own sequences and indexes follow it (the 'a'/'i' dependencies above are left out for that reason).
  for (const { name, kind } of owned.rows) {
    const what = kind === "S" ? "sequence" : kind === "v" ? "view" : kind === "m" ? "materialized view" : "table";
    await client.query(`alter ${what} ${client.escapeIdentifier(name)} owner to ${to}`);
  }
  const publications = await client.query<{ name: string }>(
    "select pubname as name from pg_publication where pubowner = (select oid from pg_roles where rolname = $1)",
    [ADMIN_ROLE],
  );
  for (const { name } of publications.rows) await client.query(`alter publication ${client.escapeIdentifier(name)} owner to ${to}`);
}

/** Before migrations: the roles, each database's owner and who may connect to it. Idempotent. */
export async function provisionDatabaseRoles(): Promise<void> {
  await asAdmin("postgres", async (client) => {
    // Every role may connect to the cluster's own databases by default: only the superuser needs them.
    for (const shared of ["postgres", "template1"]) await client.query(`revoke connect on database ${shared} from public`);
    for (const database of SERVICE_DATABASES) {
      const owner = client.escapeIdentifier(serviceRole(database));
      const cdc = client.escapeIdentifier(changeCaptureRole(database));
      const db = client.escapeIdentifier(database);
      await ensureLoginRole(client, serviceRole(database), false);
      await ensureLoginRole(client, changeCaptureRole(database), true);
      await client.query(`alter database ${db} owner to ${owner}`);
      await client.query(`revoke all on database ${db} from public`);
      await client.query(`grant connect on database ${db} to ${cdc}`);
      await client.query(`grant ${cdc} to ${owner}`);
    }
  });
  for (const database of SERVICE_DATABASES) {
    await asAdmin(database, async (client) => {
      // Statement counts for the benchmarks and tests; only a superuser may create this extension.
      await client.query("create extension if not exists pg_stat_statements");
      await handOverToOwner(client, serviceRole(database));
    });
  }
  progress("postgres", `roles: ${SERVICE_DATABASES.map(serviceRole).join(", ")} own their databases; Debezium reads as *_cdc`);
}

/**
 * What Debezium may read and write in a database, granted by its owner after
 * the migrations (here and in compose's migrate job). Idempotent.
 */
export function changeCaptureGrants(database: ServiceDatabase): string[] {
  const cdc = `"${changeCaptureRole(database)}"`;
  return [`grant select on ${PUBLISHED_TABLES.join(", ")} to ${cdc}`, `grant insert on ${SIGNAL_TABLE} to ${cdc}`];
}
