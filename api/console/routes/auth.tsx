import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../app';
import { HttpError } from '../../errors';
import { Field, Notice, Page } from '../views/layout';
import { sendHtml } from '../context';
import { checkPreLogin, cookieNames, preLoginToken, setSessionCookie } from '../auth/middleware';
import { createSession, destroySession, sweepExpired } from '../auth/sessions';
import { consumeToken, findUserByEmail, normalizeEmail, peekToken, setPassword } from '../auth/users';
import { passwordProblem, verifyPassword } from '../auth/passwords';
import { loginBlocked, recordAttempt } from '../auth/throttle';

/** Where to go after signing in: only a path inside the console (never another origin). */
const safeNext = (n: unknown) => (typeof n === 'string' && /^\/app(\/[\w\-./?=&%]*)?$/.test(n) && !n.includes('//') ? n : '/app');
const token = z.string().regex(/^[\w-]{20,100}$/);

function LoginPage(p: { csrf: string; next: string; email?: string; error?: string; info?: string }) {
  return (
    <Page title="Sign in">
      {p.error && <Notice kind="error">{p.error}</Notice>}
      {p.info && <Notice kind="ok">{p.info}</Notice>}
      <form method="post" action="/app/login">
        <input type="hidden" name="_csrf" value={p.csrf} />
        <input type="hidden" name="next" value={p.next} />
        <Field name="email" label="Email" type="email" value={p.email} required autocomplete="username" />
        <Field name="password" label="Password" type="password" required autocomplete="current-password" />
        <button type="submit">Sign in</button>
      </form>
    </Page>
  );
}

function SetPasswordPage(p: { token: string; email: string; error?: string }) {
  return (
    <Page title="Choose your password">
      <p>
        Signing in as <strong>{p.email}</strong>.
      </p>
      <form method="post" action="/app/set-password">
        <input type="hidden" name="token" value={p.token} />
        <Field
          name="password"
          label="New password"
          type="password"
          required
          autocomplete="new-password"
          error={p.error}
          hint="At least 12 characters."
        />
        <button type="submit">Save and sign in</button>
      </form>
    </Page>
  );
}

/** Sign-in, sign-out, the one-time set-password link (invitations) and the one-time sign-in link (demo). */
export function authRoutes({ sql, config }: AppDeps, secure: boolean): Router {
  const r = Router();
  const names = cookieNames(secure);

  r.get('/app/login', (req, res) => {
    if (req.console) return res.redirect(303, safeNext(req.query.next));
    sendHtml(
      res,
      <LoginPage
        csrf={preLoginToken(req, res, secure)}
        next={safeNext(req.query.next)}
        info={req.query.out === '1' ? 'You are signed out.' : undefined}
      />,
    );
  });

  r.post('/app/login', async (req, res) => {
    const next = safeNext(req.body?.next);
    const again = (status: number, error: string, email?: string) =>
      sendHtml(res, <LoginPage csrf={preLoginToken(req, res, secure)} next={next} email={email} error={error} />, status);
    if (!checkPreLogin(req, secure)) return again(403, 'The sign-in form had expired. Please try again.');
    const email = typeof req.body?.email === 'string' ? normalizeEmail(req.body.email).slice(0, 254) : '';
    const password = typeof req.body?.password === 'string' ? req.body.password.slice(0, 1000) : '';
    const ip = req.ip ?? 'unknown';
    if (!email || !password) return again(400, 'Enter your email and password.', email);
    const block = await loginBlocked(sql, email, ip);
    if (block.blocked) {
      res.set('retry-after', String(block.retryAfterSec));
      return again(429, `Too many failed sign-ins. Try again in ${Math.ceil(block.retryAfterSec / 60)} minute(s).`, email);
    }
    const user = await findUserByEmail(sql, email);
    const ok = await verifyPassword(password, user?.passwordHash ?? null);
    if (!user || !ok || user.disabledAt) {
      await recordAttempt(sql, email, ip, false);
      return again(401, 'Wrong email or password.', email);
    }
    if (user.accountStatus !== null && user.accountStatus !== 'active') {
      await recordAttempt(sql, email, ip, false);
      return again(403, 'This account is suspended. Contact the platform operator.', email);
    }
    await recordAttempt(sql, email, ip, true);
    void sweepExpired(sql).catch(() => undefined);
    const s = await createSession(sql, user.id);
    res.clearCookie(names.preLogin, { path: '/' });
    setSessionCookie(res, secure, s.token);
    res.redirect(303, next === '/app' && user.role === 'admin' ? '/app/admin' : next);
  });

  r.post('/app/logout', async (req, res) => {
    // CSRF-checked like any post: a forged logout is a nuisance, but still refused
    const s = req.console;
    if (s) {
      const presented = req.get('x-csrf-token') ?? req.body?._csrf;
      if (presented !== s.csrf)
        throw new HttpError(
          403,
          'csrf_failed',
          'the form is missing its security token or it has expired; reload the page and try again',
        );
      await destroySession(sql, s.tokenHash);
    }
    res.clearCookie(names.session, { path: '/', secure, httpOnly: true, sameSite: 'lax' });
    res.redirect(303, '/app/login?out=1');
  });

  r.get('/app/set-password', async (req, res) => {
    const t = token.safeParse(req.query.token);
    const u = t.success ? await peekToken(sql, t.data, 'set_password') : undefined;
    if (!u) throw new HttpError(404, 'not_found', 'this link is not valid: it was used already or has expired');
    sendHtml(res, <SetPasswordPage token={t.data!} email={u.email} />);
  });

  // The token in the form is the proof (it was only ever shown to the invited person), so this post
  // needs no session and no CSRF cookie; it works once.
  r.post('/app/set-password', async (req, res) => {
    const t = token.safeParse(req.body?.token);
    const u = t.success ? await peekToken(sql, t.data, 'set_password') : undefined;
    if (!u) throw new HttpError(404, 'not_found', 'this link is not valid: it was used already or has expired');
    const password = typeof req.body?.password === 'string' ? req.body.password : '';
    const problem = passwordProblem(password);
    if (problem) return sendHtml(res, <SetPasswordPage token={t.data!} email={u.email} error={`password: ${problem}`} />, 400);
    const userId = await consumeToken(sql, t.data!, 'set_password');
    if (!userId) throw new HttpError(404, 'not_found', 'this link is not valid: it was used already or has expired');
    await setPassword(sql, userId, password);
    const s = await createSession(sql, userId);
    setSessionCookie(res, secure, s.token);
    res.redirect(303, '/app');
  });

  // One-time sign-in link (`npm run demo` prints one): a GET that signs in, usable once, short-lived.
  r.get('/app/login-link', async (req, res) => {
    const t = token.safeParse(req.query.token);
    const userId = t.success ? await consumeToken(sql, t.data, 'login') : undefined;
    if (!userId) throw new HttpError(404, 'not_found', 'this sign-in link is not valid: it was used already or has expired');
    const s = await createSession(sql, userId);
    setSessionCookie(res, secure, s.token);
    res.redirect(303, safeNext(req.query.next));
  });
  void config;
  return r;
}
