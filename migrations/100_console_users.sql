-- Console users (issue 14). A user belongs to an account as `owner` or `member`, or to the
-- platform as `admin` (no account). Passwords: scrypt with a per-user salt, stored as
-- "scrypt$N$r$p$salt$hash" (base64url); null until the invited user sets one.
create table console_users (
  id             uuid primary key default gen_random_uuid(),
  account_id     uuid references accounts(id),
  email          text not null check (email = lower(email) and length(email) between 3 and 254),
  role           text not null check (role in ('owner', 'member', 'admin')),
  password_hash  text,
  created_at     timestamptz not null default now(),
  disabled_at    timestamptz,
  check ((role = 'admin') = (account_id is null))
);
create unique index console_users_email on console_users(email);
create index console_users_account on console_users(account_id);

-- Server-side sessions. The cookie carries a random token; only its SHA-256 is stored, so a read
-- of this table does not hand out live sessions. Every API replica reads the same rows.
create table console_sessions (
  token_hash    text primary key check (token_hash ~ '^[0-9a-f]{64}$'),
  user_id       uuid not null references console_users(id) on delete cascade,
  csrf_token    text not null,
  created_at    timestamptz not null default now(),
  last_seen_at  timestamptz not null default now(),
  expires_at    timestamptz not null
);
create index console_sessions_user on console_sessions(user_id);
create index console_sessions_expiry on console_sessions(expires_at);

-- Sign-in attempts, for throttling per account (email) and per client address across replicas.
create table console_login_attempts (
  id          bigserial primary key,
  email       text not null,
  ip          text not null,
  ok          boolean not null,
  at          timestamptz not null default now()
);
create index console_login_attempts_email on console_login_attempts(email, at) where not ok;
create index console_login_attempts_ip on console_login_attempts(ip, at) where not ok;

-- One-time links: set a password (invitations, resets) or sign in once (the demo's link).
-- Only the SHA-256 of the token is stored; a link works once and until it expires.
create table console_tokens (
  token_hash  text primary key check (token_hash ~ '^[0-9a-f]{64}$'),
  user_id     uuid not null references console_users(id) on delete cascade,
  purpose     text not null check (purpose in ('set_password', 'login')),
  created_at  timestamptz not null default now(),
  expires_at  timestamptz not null,
  used_at     timestamptz
);
create index console_tokens_user on console_tokens(user_id);
