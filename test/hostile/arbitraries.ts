import fc from 'fast-check';

/** Strings an attacker or a broken client sends: injection, odd unicode, control bytes, sizes. */
export const NASTY_STRINGS = [
  "'; drop table ledger_operations; --",
  "' or '1'='1",
  '1; update ledger_balances set available = 1e15',
  '$1',
  '${sql}',
  '\\x00',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\u202egnp.exe',
  '\ufeff',
  '😀'.repeat(300),
  'ǅ'.repeat(201),
  '__proto__',
  'constructor',
  '{"$ne":null}',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '%00',
  '%ZZ',
  '\r\nX-Injected: 1',
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  '9007199254740993',
  '-1',
  '0x10',
  '',
  ' ',
  'null',
  'true',
  '[]',
  '{}',
  '1',
  '2020-01-01',
  '00000000-0000-0000-0000-000000000000',
  'a'.repeat(10_000),
];

const unicodeish = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  // lone surrogates, which JSON can carry as \udXXX escapes but no database text column can store
  fc.array(fc.integer({ min: 0xd800, max: 0xdfff }), { minLength: 1, maxLength: 4 }).map((cs) => String.fromCharCode(...cs)),
);

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: unicodeish },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...NASTY_STRINGS), unicodeish).map(([a, b]) => a + b) },
);

/** Any JSON-ish value, weighted toward wrong types and edge numbers. */
export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  nastyString,
  fc.constantFrom(0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 63, -(2 ** 63), null, true, false, [], {}),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.array(nastyString, { maxLength: 3 }),
  fc.dictionary(nastyString, nastyString, { maxKeys: 3 }),
);

type Path = (string | number)[];
function pathsOf(v: unknown, at: Path = [], out: Path[] = []): Path[] {
  if (at.length) out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => pathsOf(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) pathsOf(x, [...at, k], out);
  return out;
}

/** Replaces, removes or retypes fields (nested ones too) of a valid body, or adds unknown ones. */
export function mutatedObject(valid: Record<string, unknown>): fc.Arbitrary<unknown> {
  const paths = pathsOf(valid);
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), path: fc.constantFrom(...paths), value: nastyValue }),
    fc.record({ kind: fc.constant('drop' as const), path: fc.constantFrom(...paths) }),
    fc.record({ kind: fc.constant('extra' as const), path: fc.constantFrom([], ...paths), key: nastyString, value: nastyValue }),
  );
  return fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ms) => {
    const out = structuredClone(valid) as Record<string, unknown>;
    for (const m of ms) {
      const path = m.kind === 'extra' ? [...m.path, m.key] : m.path;
      let parent: any = out;
      for (const seg of path.slice(0, -1)) {
        if (parent === null || typeof parent !== 'object') break;
        parent = parent[seg];
      }
      if (parent === null || typeof parent !== 'object') continue;
      const last = path[path.length - 1]!;
      if (m.kind === 'drop') {
        if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
        else delete parent[last];
      } else {
        Object.defineProperty(parent, last, { value: m.value, enumerable: true, writable: true, configurable: true });
      }
    }
    return out;
  });
}

/** A raw body: malformed JSON, truncated JSON, JSON of the wrong shape, binary. */
export function rawBody(valid?: unknown): fc.Arbitrary<string> {
  const shapes: fc.Arbitrary<string>[] = [
    fc.constantFrom(
      '{',
      '{"a":',
      '[1,2',
      '{"a":1}}',
      "{'a':1}",
      '{"a":NaN}',
      'null',
      '"str"',
      '123',
      'true',
      '[]',
      '{"__proto__":{"x":1}}',
      '\u0000',
      '',
    ),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    nastyValue.map((v) => JSON.stringify(v) ?? 'undefined'),
    fc.string({ unit: 'binary', maxLength: 200 }),
    // deep nesting: parsers and validators must not recurse without bound
    fc.integer({ min: 1_000, max: 50_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
    fc.integer({ min: 1_000, max: 20_000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)),
  ];
  if (valid !== undefined) {
    const s = JSON.stringify(valid);
    shapes.push(fc.integer({ min: 0, max: s.length - 1 }).map((i) => s.slice(0, i)));
    // duplicated keys: the last one wins in JSON.parse, and must still be validated
    shapes.push(
      nastyValue.map((v) =>
        s.replace(/^\{/, `{${JSON.stringify(Object.keys(valid as object)[0] ?? 'x')}:${JSON.stringify(v) ?? 'null'},`),
      ),
    );
  }
  return fc.oneof(...shapes);
}

export const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/json; charset=bogus',
  'application/vnd.api+json',
  'text/plain',
  'text/csv',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/octet-stream',
  '*/*',
  'garbage',
  '',
);

/** Things that look like dates to one parser and not to another. */
export const dateLike = fc.oneof(
  fc.constantFrom(
    '1',
    'March 7',
    '2020-01-01 junk',
    '2020-02-30',
    '2020-13-01',
    '0000-01-01T00:00:00Z',
    '275760-09-13T00:00:00Z',
    '-271821-04-20',
    '2020-01-01T00:00:00+25:00',
    '2020-01-01T24:00:00Z',
    '0000-01-01',
    '0001-01-01T00:00:00+01:00',
    '9999-12-31T23:59:59.999999999Z',
    '1970-01-01',
    '2100-01-01',
    'Infinity',
    'epoch',
    'now',
    'allballs',
  ),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
);

/** Opaque pagination cursors forged from the shapes real ones have (base64url JSON, digits). */
export const cursorLike = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(dateLike, fc.uuid()).map((t) => Buffer.from(JSON.stringify(t)).toString('base64url')) },
  fc
    .tuple(fc.oneof(dateLike, nastyValue), fc.oneof(fc.uuid(), nastyValue))
    .map((t) => Buffer.from(JSON.stringify(t)).toString('base64url')),
  { weight: 1, arbitrary: nastyValue.map((v) => Buffer.from(JSON.stringify(v) ?? '').toString('base64url')) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String) },
);

/** A query string of random, repeated and bracketed parameters. */
export function query(keys: string[]): fc.Arbitrary<string> {
  const key = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...keys) },
    { weight: 1, arbitrary: fc.constantFrom(...keys.map((k) => `${k}[]`), ...keys.map((k) => `${k}[a]`)) },
    { weight: 1, arbitrary: nastyString },
  );
  const value = fc.oneof(nastyString, dateLike, cursorLike, fc.integer().map(String));
  return fc.array(fc.tuple(key, value), { maxLength: 4 }).map((pairs) => {
    const usp = new URLSearchParams();
    for (const [k, v] of pairs) usp.append(k, v);
    const s = usp.toString();
    return s ? `?${s}` : '';
  });
}

/** Percent-encodes anything, lone surrogates included (as the invalid UTF-8 they would be). */
export const enc = (s: string) =>
  encodeURIComponent(s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')).replace(
    /%EF%BF%BD/g,
    '%ED%A0%80',
  );

/** Path segments where an id belongs. */
export const badId = fc
  .oneof(
    fc.constantFrom(
      'x',
      '0',
      '-1',
      '00000000-0000-0000-0000-000000000000',
      'ffffffff-ffff-ffff-ffff-ffffffffffff',
      "1' or '1'='1",
      '%00',
      'a'.repeat(2000),
      '%F0%9F%98%80',
      '%ED%A0%80',
    ),
    fc.uuid(),
    nastyString.map(enc),
  )
  .filter((id) => id !== '' && !/^(\.|%2e){1,2}$/i.test(id)); // '', '.' and '..' normalise onto another route

/** Authorization headers that must never authenticate. */
export const badAuth = fc.oneof(
  fc.constant<Record<string, string>>({}),
  fc
    .constantFrom(
      'Bearer',
      'Bearer ',
      'Basic YWRtaW46YWRtaW4=',
      'bearer ak_',
      'Bearer ak_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
      'Bearer  two keys',
      'Token abc',
      'Bearer null',
    )
    .map((v) => ({ authorization: v })),
  fc
    .string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789_-'.split('')), maxLength: 60 })
    .map((k) => ({ authorization: `Bearer ak_${k}` })),
  fc
    .string({ minLength: 1, maxLength: 60 })
    .filter((k) => /^[\x21-\x7e]+$/.test(k))
    .map((k) => ({ 'x-api-key': k })),
);
