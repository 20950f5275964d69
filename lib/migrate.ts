import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import postgres from 'postgres';
import { createSql, databaseName, withDatabase } from './db';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));

export interface AppliedMigration {
  version: string;
  name: string;
}

/**
 * Applies migrations/NNN_name.sql in lexical order, each in its own transaction, recording each in
 * schema_migrations with a checksum. An advisory lock makes concurrent starters (api + worker
 * starting together) wait rather than race. A changed checksum of an applied file is an error:
 * applied migrations are history and never edited.
 */
export async function migrate(url: string, dir = MIGRATIONS_DIR): Promise<AppliedMigration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d+_.+\.sql$/.test(f)).sort();
  const sql = createSql(url, { max: 1, debugName: 'aicall-migrate' });
  const applied: AppliedMigration[] = [];
  try {
    await sql`select pg_advisory_lock(hashtext('aicall:migrate'))`;
    await sql`create table if not exists schema_migrations (
      version text primary key, name text not null, checksum text not null,
      applied_at timestamptz not null default now())`;
    const done = new Map(
      (await sql<{ version: string; checksum: string }[]>`select version, checksum from schema_migrations`).map((r) => [
        r.version,
        r.checksum,
      ]),
    );
    for (const file of files) {
      const version = file.split('_')[0]!;
      const text = await readFile(path.join(dir, file), 'utf8');
      const checksum = createHash('sha256').update(text).digest('hex');
      const prior = done.get(version);
      if (prior) {
        if (prior !== checksum) throw new Error(`migration ${file} was changed after it was applied (checksum mismatch)`);
        continue;
      }
      await sql.begin(async (tx) => {
        await tx.unsafe(text);
        await tx`insert into schema_migrations (version, name, checksum) values (${version}, ${file}, ${checksum})`;
      });
      applied.push({ version, name: file });
    }
  } finally {
    await sql`select pg_advisory_unlock(hashtext('aicall:migrate'))`.catch(() => {});
    await sql.end({ timeout: 5 });
  }
  return applied;
}

/** Creates the database named in `url` if it does not exist (connecting to `postgres`). */
export async function ensureDatabase(url: string): Promise<boolean> {
  const name = databaseName(url);
  const admin = postgres(withDatabase(url, 'postgres'), { max: 1, onnotice: () => {} });
  try {
    const rows = await admin`select 1 from pg_database where datname = ${name}`;
    if (rows.length > 0) return false;
    await admin.unsafe(`create database "${name.replace(/"/g, '""')}"`);
    return true;
  } finally {
    await admin.end({ timeout: 5 });
  }
}

export async function dropDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  const admin = postgres(withDatabase(url, 'postgres'), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists "${name.replace(/"/g, '""')}" with (force)`);
  } finally {
    await admin.end({ timeout: 5 });
  }
}
