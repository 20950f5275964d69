import type { Sql } from '../../lib/db';
import { createUser, type ConsoleRole } from '../../api/console/auth/users';

export const PASSWORD = 'correct horse battery staple';

/** A console user with a password, on a fresh email. */
export async function consoleUser(
  sql: Sql,
  o: { accountId: string | null; role: ConsoleRole; email?: string; password?: string },
) {
  const email = o.email ?? `${o.role}-${Math.random().toString(36).slice(2, 10)}@console.test`;
  const u = await createUser(sql, { email, role: o.role, accountId: o.accountId, password: o.password ?? PASSWORD });
  return { ...u, password: o.password ?? PASSWORD };
}

/** A browser-less client: keeps cookies, reads the CSRF token from pages, never follows redirects. */
export class ConsoleClient {
  cookies = new Map<string, string>();
  csrf = '';
  constructor(
    readonly base: string,
    readonly ip = '127.0.0.1',
  ) {}

  cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async req(
    method: string,
    path: string,
    o: { form?: Record<string, string | string[]>; headers?: Record<string, string>; body?: BodyInit } = {},
  ) {
    const headers: Record<string, string> = { cookie: this.cookieHeader(), 'x-forwarded-for': this.ip, ...o.headers };
    let body = o.body;
    if (o.form) {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(o.form)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
      body = p.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(this.base + path, { method, headers, body, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const k = pair!.slice(0, i);
      const v = pair!.slice(i + 1);
      if (v === '' || /Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(k);
      else this.cookies.set(k, v);
    }
    const text = await res.text();
    const m = /name="_csrf" value="([^"]+)"/.exec(text);
    if (m) this.csrf = m[1]!;
    return { status: res.status, text, headers: res.headers, setCookies: res.headers.getSetCookie() };
  }

  get(path: string, headers?: Record<string, string>) {
    return this.req('GET', path, { headers });
  }

  /** Posts a form with the page's CSRF token (unless `csrf: false`). */
  post(path: string, form: Record<string, string | string[]> = {}, o: { csrf?: boolean } = {}) {
    return this.req('POST', path, { form: o.csrf === false ? form : { _csrf: this.csrf, ...form } });
  }

  async signIn(email: string, password: string) {
    await this.get('/app/login');
    const res = await this.post('/app/login', { email, password, next: '/app' });
    if (res.status === 303) await this.get(res.headers.get('location')!);
    return res;
  }
}
