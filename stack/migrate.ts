/** Applies each service database's migrations: the shared plumbing plus the service's own. */
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import knex, { type Knex } from "knex";
import { SERVICE_DATABASES, databaseUrl } from "../lib/environment";
import { changeCaptureGrants } from "./database-roles";
import { codeExtension, codeRoot } from "./layout";
import { progress } from "./processes";

interface Migration {
  up(db: Knex): Promise<void>;
  down(db: Knex): Promise<void>;
}

export function migrationDirectories(database: string): string[] {
  const own = path.join(codeRoot, "migrations", database);
  return [path.join(codeRoot, "migrations", "common"), ...(existsSync(own) ? [own] : [])];
}

/**
 * A database's migrations, recorded by their source name (`001_x.ts`) whether
 * the TypeScript runs (tsx) or its compiled JavaScript (dist/): a database
 * migrated by one is up to date for the other.
 */
class SourceNamedMigrations implements Knex.MigrationSource<string> {
  constructor(private readonly directories: string[]) {}

  async getMigrations(): Promise<string[]> {
    const files = this.directories.flatMap((dir) =>
      readdirSync(dir)
        .filter((file) => path.extname(file) === codeExtension)
        .map((file) => path.join(dir, file)),
    );
    return files.sort((a, b) => path.basename(a).localeCompare(path.basename(b)));
  }

  getMigrationName(file: string): string {
    return `${path.basename(file, codeExtension)}.ts`;
  }

  async getMigration(file: string): Promise<Migration> {
    return (await import(file)) as Migration;
  }
}

export async function migrateAll(): Promise<void> {
  for (const database of SERVICE_DATABASES) {
    const db = knex({ client: "pg", connection: databaseUrl(database), pool: { min: 0, max: 1 } });
    try {
      const [, applied] = await db.migrate.latest({ migrationSource: new SourceNamedMigrations(migrationDirectories(database)) });
      for (const grant of changeCaptureGrants(database)) await db.raw(grant);
      progress("migrate", `${database}: ${applied.length === 0 ? "up to date" : `applied ${applied.join(", ")}`}`);
    } finally {
      await db.destroy();
    }
  }
}
