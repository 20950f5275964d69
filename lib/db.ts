import postgres from 'postgres';

export type Sql = postgres.Sql<Record<string, never>>;

/**
 * One pool per process. bigint columns come back as JS bigint? No: money is bounded well below
 * 2^53 micro-units (9 billion USD), so int8 is parsed to number and checked, which keeps JSON
 * and Temporal payloads simple. Values beyond Number.MAX_SAFE_INTEGER throw instead of rounding.
 */
export function createSql(url: string, opts: { max?: number; debugName?: string } = {}): Sql {
  return postgres(url, {
    max: opts.max ?? 10,
    onnotice: () => {},
    connection: { application_name: opts.debugName ?? 'aicall' },
    types: {
      bigint: {
        to: 20,
        from: [20],
        serialize: (v: number | bigint) => v.toString(),
        parse: (v: string) => {
          const n = Number(v);
          if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${v} exceeds the safe integer range`);
          return n;
        },
      },
    },
  }) as unknown as Sql;
}

/** postgres://user@host:port/name -> same server, database `name` swapped. */
export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}
