import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Every query goes through postgres.js tagged templates, which send values as bind parameters;
 * only the migration runner may build SQL text (`unsafe`), from files in migrations/ and a quoted
 * database name. The fuzz (test/hostile) sends SQL-looking strings to every route; this keeps a
 * new string-built query from slipping in.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const DIRS = ['api', 'lib', 'activities', 'workers', 'workflows', 'media-gateway', 'providers'];
const ALLOWED = new Set(['lib/migrate.ts']);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('SQL is parameterised', () => {
  it('no code outside the migration runner calls sql.unsafe or builds a query from a string', () => {
    const offenders: string[] = [];
    for (const d of DIRS) {
      for (const f of files(path.join(ROOT, d))) {
        const rel = path.relative(ROOT, f);
        if (ALLOWED.has(rel)) continue;
        const text = readFileSync(f, 'utf8');
        if (/\.unsafe\s*\(/.test(text)) offenders.push(`${rel}: unsafe(`);
        if (/sql\s*\(\s*`|\bquery\s*\(\s*['"`]\s*(select|insert|update|delete)/i.test(text))
          offenders.push(`${rel}: SQL built from a string`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
