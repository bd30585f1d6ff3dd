/** Applies each service database's migrations: the shared plumbing plus the service's own. */
import { existsSync } from "node:fs";
import path from "node:path";
import knex from "knex";
import { SERVICE_DATABASES, databaseUrl } from "../lib/environment";
import { repoRoot } from "./layout";
import { progress } from "./processes";

export function migrationDirectories(database: string): string[] {
  const own = path.join(repoRoot, "migrations", database);
  return [path.join(repoRoot, "migrations", "common"), ...(existsSync(own) ? [own] : [])];
}

export async function migrateAll(): Promise<void> {
  for (const database of SERVICE_DATABASES) {
    const db = knex({ client: "pg", connection: databaseUrl(database), pool: { min: 0, max: 1 } });
    try {
      const [, applied] = await db.migrate.latest({ directory: migrationDirectories(database), loadExtensions: [".ts"] });
      progress("migrate", `${database}: ${applied.length === 0 ? "up to date" : `applied ${applied.join(", ")}`}`);
    } finally {
      await db.destroy();
    }
  }
}
