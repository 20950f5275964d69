import postgres from 'postgres';
import { withDatabase } from '../../lib/db';

/** Fails with instructions when no Postgres answers at `url`'s server. */
export async function checkPostgres(url: string): Promise<void> {
  const probe = postgres(withDatabase(url, 'postgres'), { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await probe`select 1`;
  } catch (err) {
    const u = new URL(url);
    throw new Error(
      [
        `No PostgreSQL answers at ${u.host} (${(err as Error).message}).`,
        'Get one of these and run again:',
        '  - Debian/Ubuntu: sudo apt-get install postgresql && sudo pg_ctlcluster $(ls /etc/postgresql) main start',
        '      (local trust auth, or set DATABASE_URL=postgres://user:pass@127.0.0.1:5432/aicall)',
        '  - Docker: docker run -d --name aicall-pg -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:16',
        '  - anywhere else: export DATABASE_URL=postgres://user:pass@host:5432/aicall',
      ].join('\n'),
    );
  } finally {
    await probe.end({ timeout: 1 });
  }
}
