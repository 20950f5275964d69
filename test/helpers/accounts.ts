import { randomUUID } from 'node:crypto';
import type { Sql } from '../../lib/db';
import { generateApiKey } from '../../api/auth';

/** A fresh account (and optionally a client API key for it) so parallel test files never collide. */
export async function createTestAccount(sql: Sql, opts: { name?: string; withKey?: boolean } = {}) {
  const id = randomUUID();
  await sql`insert into accounts (id, name) values (${id}, ${opts.name ?? `test ${id.slice(0, 8)}`})`;
  let apiKey: string | undefined;
  if (opts.withKey) {
    const k = generateApiKey();
    await sql`insert into api_keys (account_id, role, key_hash, prefix) values (${id}, 'client', ${k.hash}, ${k.prefix})`;
    apiKey = k.key;
  }
  return { id, apiKey };
}
