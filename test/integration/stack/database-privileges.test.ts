/**
 * Who may open which database on the running stack: each service's role owns
 * its own database and can reach no other; Debezium's role reads the outbox
 * and nothing else; a running service holds only its own database's URL.
 */
import { readFileSync } from "node:fs";
import { Client } from "pg";
import { SERVICE_DATABASES, changeCaptureUrl, databaseUrl, databaseUrlVariable, isServiceDatabase, type ServiceDatabase } from "../../../lib/environment";
import { serviceProcesses } from "../../../stack/services";

/** The same credentials, aimed at another database. */
function withDatabase(url: string, database: string): string {
  const moved = new URL(url);
  moved.pathname = `/${database}`;
  return moved.toString();
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The SQLSTATE of what `work` was refused with; fails the test when it was allowed. */
async function refusal(url: string, work: (client: Client) => Promise<unknown> = async () => undefined): Promise<string> {
  try {
    await withClient(url, work);
  } catch (error) {
    return (error as { code?: string }).code ?? (error as Error).message;
  }
  throw new Error(`allowed: ${work.toString()} on ${new URL(url).pathname} as ${new URL(url).username}`);
}

const INSUFFICIENT_PRIVILEGE = "42501";
const another = (database: ServiceDatabase) => SERVICE_DATABASES[(SERVICE_DATABASES.indexOf(database) + 1) % SERVICE_DATABASES.length];
/** A table each database's service owns besides the outbox. */
const OWN_TABLE: Record<ServiceDatabase, string> = {
  account: "customers",
  product: "products",
  order: "orders",
  payment: "payments",
  purchase: "purchases",
  orchestrator: "saga_instance",
};

describe.each(SERVICE_DATABASES)("the %s database", (database) => {
  const owner = databaseUrl(database);
  const cdc = changeCaptureUrl(database);

  it("is owned by its service's role, which is neither superuser nor replication", async () => {
    const role = await withClient(owner, async (c) => {
      const { rows } = await c.query(
        "select r.rolname, r.rolsuper, r.rolreplication, r.rolcreaterole, r.rolcreatedb, pg_get_userbyid(d.datdba) as dbowner from pg_roles r, pg_database d where r.rolname = current_user and d.datname = current_database()",
      );
      return rows[0];
    });
    expect(role).toEqual({
      rolname: `${database}_service`,
      rolsuper: false,
      rolreplication: false,
      rolcreaterole: false,
      rolcreatedb: false,
      dbowner: `${database}_service`,
    });
  });

  it("refuses the service's credentials on another service's database, and the catalogue's secrets", async () => {
    expect(await refusal(withDatabase(owner, another(database)))).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await refusal(withDatabase(owner, "postgres"))).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await refusal(withDatabase(owner, "template1"))).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await refusal(owner, (c) => c.query("select rolpassword from pg_authid"))).toBe(INSUFFICIENT_PRIVILEGE);
  });

  it("lets Debezium's role read the outbox and write signals only", async () => {
    const [{ replication }] = await withClient(
      cdc,
      async (c) => (await c.query("select rolreplication as replication from pg_roles where rolname = current_user")).rows,
    );
    expect(replication).toBe(true);
    await withClient(cdc, (c) => c.query("select count(*) from outbox"));
    expect(await refusal(cdc, (c) => c.query(`select * from ${OWN_TABLE[database]} limit 1`))).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await refusal(cdc, (c) => c.query("delete from outbox"))).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await refusal(withDatabase(cdc, another(database)))).toBe(INSUFFICIENT_PRIVILEGE);
  });
});

describe("the running services", () => {
  /** The database URLs in a running process's environment. */
  function databaseVariablesOf(pid: number): string[] {
    const environ = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
    return environ.map((entry) => entry.split("=")[0]).filter((name) => /DATABASE_URL/.test(name));
  }

  it("hold their own database's URL and nobody else's; the gateway and ops hold none", () => {
    const held = Object.fromEntries(serviceProcesses().map(({ name, pid }) => [name, pid === undefined ? null : databaseVariablesOf(pid)]));
    const expected = Object.fromEntries(serviceProcesses().map(({ name }) => [name, isServiceDatabase(name) ? [databaseUrlVariable(name)] : []]));
    expect(held).toEqual(expected);
  });
});
