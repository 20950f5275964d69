import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Console passwords: node's scrypt (memory-hard) with a 16-byte random salt per password. Stored as
 * "scrypt$N$r$p$salt$hash" so the cost can be raised later and old hashes still verify.
 * N = 2^15, r = 8: 32 MiB and ~50-100 ms per hash on this class of machine (OWASP's scrypt floor is
 * N = 2^17 with r = 8 for p = 1 at 128 MiB; 2^15 keeps a 2-core API responsive under a login burst,
 * and the throttle bounds online guessing).
 */
const N = 2 ** 15;
const R = 8;
const P = 1;
const KEYLEN = 32;

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 200;

const derive = (password: string, salt: Buffer, o: { N: number; r: number; p: number }) =>
  new Promise<Buffer>((resolve, reject) => {
    const opts: ScryptOptions = { N: o.N, r: o.r, p: o.p, maxmem: 256 * o.N * o.r + 1024 * 1024 };
    scrypt(password.normalize('NFC'), salt, KEYLEN, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });

/** Why a new password is refused (the console shows it beside the field), or undefined. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < PASSWORD_MIN) return `must be at least ${PASSWORD_MIN} characters`;
  if (password.length > PASSWORD_MAX) return `must be at most ${PASSWORD_MAX} characters`;
  return undefined;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  // no hash (an invited user who has not set one): still spend the time, so timing does not tell
  const parts = stored?.split('$') ?? [];
  if (parts.length !== 6 || parts[0] !== 'scrypt') {
    await derive(password, randomBytes(16), { N, r: R, p: P });
    return false;
  }
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}
