/**
 * Temporal's schema in PostgreSQL, set up by Temporal's own SQL tool (the versioned schemas are
 * embedded in the tool): create-database, setup-schema -v 0.0 (only writes the version tables and
 * skips when a version is already there), update-schema to the newest version. Every step is
 * idempotent, so it runs on every start and also upgrades the schema after a server upgrade.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Postgres } from './postgres';
import { TEMPORAL_DB, TEMPORAL_VISIBILITY_DB } from './temporal-config';

const run = promisify(execFile);

const SCHEMAS = [
  { database: TEMPORAL_DB, schemaName: 'postgresql/v12/temporal' },
  { database: TEMPORAL_VISIBILITY_DB, schemaName: 'postgresql/v12/visibility' },
] as const;

export async function setupTemporalSchema(sqlTool: string, pg: Postgres): Promise<void> {
  // the password travels in the environment, not in argv (which `ps` shows to every user)
  const env = { ...process.env, SQL_PASSWORD: pg.password };
  const common = ['--ep', pg.host, '-p', String(pg.port), '-u', pg.user, '--pl', 'postgres12'];
  const tool = async (database: string, args: string[]) => {
    try {
      await run(sqlTool, [...common, '--db', database, ...args], { env });
    } catch (e) {
      const out = `${(e as { stdout?: string }).stdout ?? ''}${(e as { stderr?: string }).stderr ?? ''}`;
      // create-database has no "if not exists": PostgreSQL's duplicate_database (42P04) is fine
      if (args[0] === 'create-database' && /already exists|42P04/.test(out)) return;
      throw new Error(`temporal-sql-tool ${args[0]} on ${database} failed:\n${out.slice(-2000)}`);
    }
  };
  for (const { database, schemaName } of SCHEMAS) {
    await tool(database, ['create-database']);
    await tool(database, ['setup-schema', '-v', '0.0']);
    await tool(database, ['update-schema', '--schema-name', schemaName]);
  }
}
