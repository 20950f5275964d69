/**
 * npm run bench:console — the console's server-side render times with BENCH_CALLS calls (default
 * 100,000) in one account, against a bare SELECT of the same rows in the same run, and the live
 * board's delay from a call's status change in Postgres (where the call workflow's activities
 * write it) to the SSE event reaching the client.
 *
 * Pages (each BENCH_REQUESTS times, default 200, sequential, over loopback HTTP with a signed-in
 * session): the calls table's first page, a filtered page (campaign + status), a deep page (the
 * cursor BENCH_DEEP_PAGES pages in, default 200), and the dashboard. Scratch database created and
 * dropped. The dashboard is measured as served (figures cached 30 s) and cold (cache emptied).
 * Last line: {"bench":"console","calls":…,"calls_page_p95_ms":…,"dashboard_p95_ms":…,"select_p95_ms":…,"live_update_ms":…}
 */
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { createSql, withDatabase } from '../lib/db';
import { dropDatabase, ensureDatabase, migrate } from '../lib/migrate';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { createApp } from '../api/app';
import { createUser } from '../api/console/auth/users';
import { clearDashboardCache, DASHBOARD_CACHE_MS } from '../api/console/routes/dashboard';

const CALLS = Number(process.env.BENCH_CALLS ?? 100_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const DEEP = Number(process.env.BENCH_DEEP_PAGES ?? 200);
const LIVE_ROUNDS = Number(process.env.BENCH_LIVE_ROUNDS ?? 20);
const server = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const db = withDatabase(server, `aicall_bench_console_${Date.now()}`);
const PASSWORD = 'bench password 123';

const p95 = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)]!;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const r1 = (x: number) => Math.round(x * 10) / 10;

await ensureDatabase(db);
await migrate(db);
const sql = createSql(db, { max: 10, debugName: 'bench-console' });
const config = loadConfig({ ...process.env, DATABASE_URL: db, LOG_LEVEL: 'silent' });
let httpServer: ReturnType<ReturnType<typeof createApp>['listen']> | undefined;
try {
  // ---- seed: one account, 10 campaigns, CALLS calls over 60 days, ~60% answered with costs
  const t0 = performance.now();
  const accountId = randomUUID();
  await sql`insert into accounts (id, name) values (${accountId}, 'Bench account')`;
  const campaigns: string[] = [];
  for (let i = 0; i < 10; i++) {
    const [c] =
      await sql`insert into campaigns (account_id, name, status, agent, settings) values (${accountId}, ${`Campaign ${i}`}, 'running', '{}', '{"maxConcurrentCalls":5}') returning id`;
    campaigns.push(c!.id);
  }
  await sql`
    insert into calls (id, account_id, campaign_id, attempt, to_e164, status, terminal, outcome, answered_at, ended_at, duration_sec, created_at)
    select gen_random_uuid(), ${accountId}, (${sql.array(campaigns)}::uuid[])[1 + (i / 7) % 10], 1, '+60125' || lpad((i % 1000000)::text, 6, '0'),
           (array['completed','completed','completed','no_answer','busy','voicemail','failed','completed','completed','completed'])[1 + i % 10],
           true,
           case when i % 10 in (0,1,2,7,8,9) then jsonb_build_object('result', (array['interested','not_interested','callback'])[1 + i % 3]) end,
           case when i % 10 in (0,1,2,7,8,9) then now() - (i * interval '52 seconds') + interval '5 seconds' end,
           case when i % 10 in (0,1,2,7,8,9) then now() - (i * interval '52 seconds') + interval '65 seconds' end,
           case when i % 10 in (0,1,2,7,8,9) then 60 end,
           now() - (i * interval '52 seconds')
    from generate_series(1, ${CALLS}) as i`;
  await sql`
    insert into call_costs (call_id, account_id, price_list_version, price_list, stt_audio_ms, billed_seconds, azure_stt_cost, llm_cost, tts_cost, twilio_cost, total_provider_cost, charged_amount, profit_margin, created_at)
    select id, account_id, 'bench', '{}', 60000, 60, 16700, 1200, 9000, 13000, 39900, 200000, 160100, created_at from calls where answered_at is not null`;
  await sql`analyze`;
  console.log(`seeded ${CALLS.toLocaleString('en-US')} calls in ${((performance.now() - t0) / 1000).toFixed(1)}s`);

  // ---- the API in this process (the pages never touch Temporal; the client connects lazily)
  const temporal = new Client({ connection: Connection.lazy({ address: config.TEMPORAL_ADDRESS }) });
  const app = createApp({ sql, temporal, config, log: createLogger('bench', 'silent') });
  httpServer = app.listen(0, '127.0.0.1');
  await new Promise((r) => httpServer!.once('listening', r));
  const base = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;

  // sign in as a browser would
  await createUser(sql, { email: 'bench@console.test', role: 'owner', accountId, password: PASSWORD });
  const pre = await fetch(`${base}/app/login`);
  const preCookie = pre.headers.getSetCookie()[0]!.split(';')[0]!;
  const loginCsrf = /name="_csrf" value="([^"]+)"/.exec(await pre.text())![1]!;
  const login = await fetch(`${base}/app/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: preCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: loginCsrf, email: 'bench@console.test', password: PASSWORD }).toString(),
  });
  const cookie = login.headers
    .getSetCookie()
    .find((c) => c.startsWith('aicall_session='))!
    .split(';')[0]!;
  const get = async (path: string) => {
    const t = performance.now();
    const res = await fetch(base + path, { headers: { cookie } });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${text.slice(0, 200)}`);
    return { ms: performance.now() - t, text };
  };

  // the deep page: follow "Older calls" DEEP pages in
  let deepPath = '/app/calls';
  for (let i = 0; i < DEEP; i++) {
    const { text } = await get(deepPath);
    const next = /href="(\/app\/calls\?[^"]*cursor=[^"]+)" rel="next"/.exec(text);
    if (!next) break;
    deepPath = next[1]!.replace(/&amp;/g, '&');
  }
  const pages: Record<string, string> = {
    first: '/app/calls',
    filtered: `/app/calls?campaign=${campaigns[3]}&status=completed`,
    deep: deepPath,
    dashboard: '/app',
  };
  const times: Record<string, number[]> = { first: [], filtered: [], deep: [], dashboard: [], dashboardCold: [], select: [] };
  for (const path of Object.values(pages)) for (let i = 0; i < 5; i++) await get(path); // warm-up
  for (let i = 0; i < REQUESTS; i++) {
    for (const [name, path] of Object.entries(pages)) times[name]!.push((await get(path)).ms);
    // the bare SELECT of the first page's rows, from the same pool
    const t = performance.now();
    await sql`select id, to_e164, status, created_at from calls where account_id = ${accountId} order by created_at desc, id desc limit 51`;
    times.select!.push(performance.now() - t);
    // and a dashboard that has to compute its figures (its cache emptied first)
    if (i % 4 === 0) {
      clearDashboardCache();
      times.dashboardCold!.push((await get('/app')).ms);
    }
  }
  const callsP95 = Math.max(p95(times.first!), p95(times.filtered!), p95(times.deep!));
  const selectP95 = p95(times.select!);
  console.log(`\nserver-side render over loopback HTTP, ${REQUESTS} requests each (p50 / p95 ms):`);
  for (const name of ['first', 'filtered', 'deep', 'dashboard', 'dashboardCold', 'select'] as const) {
    const xs = times[name]!;
    console.log(
      `  ${name.padEnd(10)} ${r1(median(xs)).toString().padStart(6)} / ${r1(p95(xs)).toString().padStart(6)}${name === 'select' ? "   (bare SELECT of the first page's rows, no HTTP)" : `   ratio to the bare SELECT p95: ${(p95(xs) / selectP95).toFixed(1)}x`}`,
    );
  }
  console.log(
    `  (deep page: ${DEEP} pages in, by keyset cursor; dashboard: as served, its window figures cached ${DASHBOARD_CACHE_MS / 1000} s per account;`,
  );
  console.log(
    `   dashboardCold: the figures computed for the request, ~${Math.round(CALLS / 2).toLocaleString('en-US')} calls in its 30-day window)`,
  );

  // ---- live board: a call's status change in Postgres -> the SSE event at the client
  const [live] =
    await sql`insert into campaigns (account_id, name, status, agent, settings, contact_count) values (${accountId}, 'Live', 'running', '{}', '{}', ${LIVE_ROUNDS}) returning id`;
  const liveIds = Array.from({ length: LIVE_ROUNDS }, () => randomUUID());
  await sql`insert into calls ${sql(liveIds.map((id, i) => ({ id, account_id: accountId, campaign_id: live!.id, to_e164: `+6012999${String(i).padStart(4, '0')}`, status: 'ringing', terminal: false })))}`;
  const ac = new AbortController();
  const res = await fetch(`${base}/app/campaigns/${live!.id}/live`, {
    headers: { cookie, accept: 'text/event-stream' },
    signal: ac.signal,
  });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  const nextEvent = async () => {
    for (;;) {
      const i = buf.indexOf('\n\n');
      if (i >= 0) {
        const ev = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (ev.startsWith('event: board')) return ev;
        continue;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('the live stream ended');
      buf += decoder.decode(value, { stream: true });
    }
  };
  await nextEvent(); // the board as it is
  const delays: number[] = [];
  for (let i = 0; i < LIVE_ROUNDS; i++) {
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 400)); // land anywhere in the poll cycle
    const t = performance.now();
    await sql`update calls set status = 'completed', terminal = true, updated_at = now() where id = ${liveIds[i]!}`;
    const ev = await nextEvent();
    delays.push(performance.now() - t);
    if (!ev.includes(`data-status-count="completed"`)) throw new Error('the event did not carry the change');
  }
  ac.abort();
  const liveP95 = p95(delays);
  console.log(
    `\nlive board, ${LIVE_ROUNDS} status changes: median ${r1(median(delays))} ms, p95 ${r1(liveP95)} ms, max ${r1(Math.max(...delays))} ms (SSE connection polls Postgres every 400 ms)`,
  );
  console.log(
    JSON.stringify({
      bench: 'console',
      calls: CALLS,
      calls_page_p95_ms: r1(callsP95),
      dashboard_p95_ms: r1(p95(times.dashboard!)),
      select_p95_ms: r1(selectP95),
      live_update_ms: r1(liveP95),
      dashboard_cold_p95_ms: r1(p95(times.dashboardCold!)),
    }),
  );
} finally {
  httpServer?.closeAllConnections();
  httpServer?.close();
  await sql.end({ timeout: 5 });
  await dropDatabase(db);
}
