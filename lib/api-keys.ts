import { createHash, randomBytes } from 'node:crypto';

/**
 * API keys as stored: a random key shown once, its SHA-256 kept. Here rather than in api/ so the
 * operators' tooling (lib/accounts.ts, the CLI) issues keys without importing the HTTP layer.
 */
export type Role = 'client' | 'admin';

const KEY_PREFIX = 'ak_';

/** A new random key (256 bits). Shown once; only hashKey(key) is stored. */
export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const key = KEY_PREFIX + randomBytes(32).toString('base64url');
  return { key, prefix: key.slice(0, KEY_PREFIX.length + 6), hash: hashKey(key) };
}

/** SHA-256 is enough here: keys are 256 random bits, so there is nothing to brute-force. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
