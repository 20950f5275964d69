import type { ComponentChildren } from 'preact';
import type { Session } from '../auth/sessions';

const NAV_ACCOUNT: [string, string][] = [
  ['/app', 'Dashboard'],
  ['/app/credits', 'Credits'],
  ['/app/campaigns', 'Campaigns'],
  ['/app/calls', 'Calls'],
  ['/app/alerts', 'Alerts'],
];

/**
 * Every page: skip link, header with the account and sign-out, navigation, main. htmx and its SSE
 * extension come from node_modules (served under /app/assets); the CSRF token rides on every htmx
 * request in a header (hx-headers on body) and on every form as a hidden field.
 */
export function Page(props: {
  title: string;
  session?: Session;
  active?: string;
  children: ComponentChildren;
  head?: ComponentChildren;
}) {
  const s = props.session;
  const nav: [string, string][] = !s
    ? []
    : s.role === 'admin'
      ? [['/app/admin', 'Platform']]
      : [
          ...NAV_ACCOUNT,
          ...(s.role === 'owner'
            ? ([
                ['/app/keys', 'API keys'],
                ['/app/team', 'Team'],
              ] as [string, string][])
            : []),
        ];
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · aicall`}</title>
        <link rel="stylesheet" href="/app/assets/console.css" />
        <script src="/app/assets/htmx.min.js" defer></script>
        <script src="/app/assets/sse.min.js" defer></script>
        {props.head}
      </head>
      <body hx-headers={s ? JSON.stringify({ 'X-CSRF-Token': s.csrf }) : undefined}>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <a class="brand" href="/app">
            aicall
          </a>
          {s && (
            <nav aria-label="Main">
              <ul>
                {nav.map(([href, text]) => (
                  <li>
                    <a href={href} aria-current={props.active === href ? 'page' : undefined}>
                      {text}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          )}
          {s && (
            <div class="who">
              <span>
                {s.accountName ?? 'Platform'} · {s.email} ({s.role})
              </span>
              <form method="post" action="/app/logout" class="inline">
                <Csrf session={s} />
                <button type="submit" class="link">
                  Sign out
                </button>
              </form>
            </div>
          )}
        </header>
        <main id="main" tabindex={-1}>
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

export const Csrf = ({ session }: { session: Session }) => <input type="hidden" name="_csrf" value={session.csrf} />;

/** A labelled input with its error underneath (the API's message), wired with aria-describedby. */
export function Field(props: {
  name: string;
  label: string;
  type?: string;
  value?: string | number | null;
  error?: string;
  hint?: string;
  required?: boolean;
  /** for a form repeated on a page (one per table row): ids must stay unique */
  id?: string;
  min?: number | string;
  max?: number | string;
  step?: number | string;
  placeholder?: string;
  autocomplete?: string;
  inputmode?: string;
  list?: string;
}) {
  const id = props.id ?? `f-${props.name.replace(/[^\w-]/g, '-')}`;
  const described = [props.hint ? `${id}-hint` : '', props.error ? `${id}-err` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field${props.error ? ' has-error' : ''}`}>
      <label for={id}>{props.label}</label>
      {props.hint && <small id={`${id}-hint`}>{props.hint}</small>}
      <input
        id={id}
        name={props.name}
        type={(props.type ?? 'text') as 'text'}
        value={props.value ?? undefined}
        required={props.required}
        min={props.min}
        max={props.max}
        step={props.step}
        placeholder={props.placeholder}
        autocomplete={props.autocomplete}
        inputMode={props.inputmode as never}
        list={props.list}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={described}
      />
      {props.error && (
        <p class="error" id={`${id}-err`}>
          {props.error}
        </p>
      )}
    </div>
  );
}

export function TextArea(props: {
  name: string;
  label: string;
  value?: string;
  error?: string;
  rows?: number;
  hint?: string;
  required?: boolean;
}) {
  const id = `f-${props.name.replace(/[^\w-]/g, '-')}`;
  return (
    <div class={`field${props.error ? ' has-error' : ''}`}>
      <label for={id}>{props.label}</label>
      {props.hint && <small id={`${id}-hint`}>{props.hint}</small>}
      <textarea
        id={id}
        name={props.name}
        rows={props.rows ?? 4}
        required={props.required}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={props.error ? `${id}-err` : props.hint ? `${id}-hint` : undefined}
      >
        {props.value ?? ''}
      </textarea>
      {props.error && (
        <p class="error" id={`${id}-err`}>
          {props.error}
        </p>
      )}
    </div>
  );
}

export function Select(props: { name: string; label: string; value?: string; options: [string, string][]; error?: string }) {
  const id = `f-${props.name.replace(/[^\w-]/g, '-')}`;
  return (
    <div class={`field${props.error ? ' has-error' : ''}`}>
      <label for={id}>{props.label}</label>
      <select
        id={id}
        name={props.name}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={props.error ? `${id}-err` : undefined}
      >
        {props.options.map(([v, t]) => (
          <option value={v} selected={v === props.value}>
            {t}
          </option>
        ))}
      </select>
      {props.error && (
        <p class="error" id={`${id}-err`}>
          {props.error}
        </p>
      )}
    </div>
  );
}

export const Notice = ({ kind, children }: { kind: 'ok' | 'error' | 'info'; children: ComponentChildren }) => (
  <div class={`notice ${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
    {children}
  </div>
);

/** A notice for an action that made a one-time link (an invitation, a set-password link): the link is shown once. */
export const NoticeWithLink = ({ note }: { note?: { kind: 'ok' | 'error' | 'info'; text: string; link?: string } }) =>
  note ? (
    <Notice kind={note.kind}>
      {note.text}
      {note.link && (
        <code class="secret" id="invite-link">
          {note.link}
        </code>
      )}
    </Notice>
  ) : null;

export const Badge = ({ status }: { status: string }) => <span class={`badge s-${status}`}>{status.replace(/_/g, ' ')}</span>;
