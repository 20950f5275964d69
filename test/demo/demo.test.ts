import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { createSql, withDatabase } from '../../lib/db';
import { dropDatabase } from '../../lib/migrate';
import { freePort } from '../helpers/ports';
import { usd } from '../../scripts/demo/format';
import { decodeWav } from '../../sim/callee/wav';
import { processesWithMarker } from '../helpers/processes';

const PERSONA_STATUS: Record<string, string> = {
  interested: 'completed',
  not_interested: 'completed',
  callback: 'completed',
  busy: 'busy',
  no_answer: 'no_answer',
  voicemail: 'voicemail',
};
/** What the agent records after talking with each persona (sim/callee's agent script). */
const PERSONA_OUTCOME: Record<string, string | null> = {
  interested: 'interested',
  not_interested: 'not_interested',
  callback: 'callback',
  busy: null,
  no_answer: null,
  voicemail: null,
};

const energy = (samples: Int16Array) => samples.reduce((a, x) => a + Math.abs(x), 0) / Math.max(1, samples.length);

describe('npm run demo', () => {
  it('runs a reduced campaign to completion and prints totals that equal the database', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'aicall-demo-'));
    const markerKey = 'AICALL_DEMO_TEST_MARKER';
    const markerValue = randomUUID();
    const databaseUrl = withDatabase(inject('databaseUrl'), `aicall_demo_${randomUUID().slice(0, 8)}`);
    const names = [
      'TEMPORAL',
      'TEMPORAL_UI_PORT',
      'API_PORT',
      'MEDIA_GATEWAY_PORT',
      'WORKER_METRICS_PORT',
      'SIM_TWILIO_PORT',
      'SIM_BILLPLZ_PORT',
      'SIM_AZURE_SPEECH_PORT',
      'SIM_OPENROUTER_PORT',
      'SIM_ELEVENLABS_PORT',
    ];
    const ports = Object.fromEntries(await Promise.all(names.map(async (n) => [n, String(await freePort())] as const)));
    const { TEMPORAL, ...portVars } = ports;
    const env = {
      ...process.env,
      ...portVars,
      AICALL_DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: `127.0.0.1:${TEMPORAL}`,
      TEMPORAL_DEV_SERVER: '1',
      [markerKey]: markerValue,
    };
    delete (env as Record<string, unknown>).DEMO_EXIT;
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', '--callees', '6', '--exit'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const sql = createSql(databaseUrl, { max: 2, debugName: 'demo-test' });
    try {
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 170_000))]);
      expect(code, `demo output:\n${out}\n${err}`).toBe(0);

      // stdout is a pipe here: progress comes as plain lines, never redrawn in place.
      expect(out).toMatch(/^progress: \[[#-]+\] \d+\/6 callees done/m);
      expect(out).not.toMatch(/\r|\x1b\[/);

      const line = out.split('\n').find((l) => l.startsWith('DEMO_RESULT '));
      expect(line, out).toBeDefined();
      const r = JSON.parse(line!.slice('DEMO_RESULT '.length));
      expect(r.callees).toBe(6);

      // Calls: one row per attempt in the database, the same statuses and durations as printed.
      const calls = await sql<
        { id: string; status: string; duration_sec: number | null; to_e164: string; attempt: number; terminal: boolean }[]
      >`
        select id, status, duration_sec, to_e164, attempt, terminal from calls where campaign_id = ${r.campaignId}`;
      expect(calls.length).toBe(r.totals.calls);
      expect(calls.every((c) => c.terminal)).toBe(true);
      const byId = new Map(calls.map((c) => [c.id, c]));
      for (const c of r.calls) {
        const db = byId.get(c.id);
        expect(db, c.id).toBeDefined();
        expect(c.status).toBe(db!.status);
        expect(c.durationSec).toBe(db!.duration_sec ?? 0);
        expect(c.attempt).toBe(db!.attempt);
        expect(db!.to_e164.endsWith(c.toLast4)).toBe(true);
        expect(c.status, c.persona).toBe(PERSONA_STATUS[c.persona]);
        expect(c.outcome, c.persona).toBe(PERSONA_OUTCOME[c.persona]);
      }

      // Conversations: transcripts as printed, and a stereo recording of every answered call.
      const turns = await sql<{ call_id: string; n: number }[]>`
        select call_id, count(*)::int as n from transcript_turns where call_id in ${sql(calls.map((c) => c.id))} group by call_id`;
      const turnsOf = new Map(turns.map((t) => [t.call_id, t.n]));
      for (const c of r.calls) {
        expect(c.transcriptTurns, c.persona).toBe(turnsOf.get(c.id) ?? 0);
        if (c.status === 'completed') expect(c.transcriptTurns, c.persona).toBeGreaterThanOrEqual(3);
        if (c.status !== 'completed' && c.status !== 'voicemail') {
          expect(c.recording).toBeNull();
          continue;
        }
        expect(c.recording, c.persona).toBe(`${c.callSid}.wav`);
        const wav = decodeWav(await readFile(path.join(r.recordings.dir, c.recording)));
        expect(wav.sampleRate).toBe(8000);
        expect(wav.channels).toHaveLength(2);
        expect(wav.channels[1]!.length / 8000, c.persona).toBeGreaterThan(1);
        // The agent speaks on every answered call; a person (not the machine) answers it too.
        expect(energy(wav.channels[1]!), `${c.persona} agent channel`).toBeGreaterThan(100);
        if (c.status === 'completed') expect(energy(wav.channels[0]!), `${c.persona} callee channel`).toBeGreaterThan(10);
      }
      expect(r.recordings.files.length).toBe(r.calls.filter((c: { recording: string | null }) => c.recording).length);
      expect(out).toContain(`Recordings: ${r.recordings.files.length} stereo WAV files`);
      // Every vendor was used and costed: speech to text, the LLM, text to speech, Twilio.
      for (const k of ['sttMicro', 'llmMicro', 'ttsMicro', 'twilioMicro']) expect(r.totals[k], k).toBeGreaterThan(0);
      // Six callees, one of each kind: busy and unanswered numbers are tried twice.
      expect(new Set(r.calls.map((c: { persona: string }) => c.persona))).toEqual(new Set(Object.keys(PERSONA_STATUS)));
      expect(r.totals.calls).toBe(8);

      // Costs: the printed totals are the sums of call_costs.
      const [k] = await sql<Record<string, string>[]>`
        select count(*)::int as n, coalesce(sum(k.azure_stt_cost), 0)::bigint as stt, coalesce(sum(k.llm_cost), 0)::bigint as llm,
               coalesce(sum(k.tts_cost), 0)::bigint as tts, coalesce(sum(k.twilio_cost), 0)::bigint as twilio,
               coalesce(sum(k.total_provider_cost), 0)::bigint as cost, coalesce(sum(k.charged_amount), 0)::bigint as charged,
               coalesce(sum(k.profit_margin), 0)::bigint as margin
        from call_costs k join calls l on l.id = k.call_id where l.campaign_id = ${r.campaignId}`;
      const answered = r.calls.filter((c: { status: string }) => c.status === 'completed' || c.status === 'voicemail').length;
      expect(Number(k!.n)).toBe(answered);
      expect(r.totals.sttMicro).toBe(Number(k!.stt));
      expect(r.totals.llmMicro).toBe(Number(k!.llm));
      expect(r.totals.ttsMicro).toBe(Number(k!.tts));
      expect(r.totals.twilioMicro).toBe(Number(k!.twilio));
      expect(r.totals.providerCostMicro).toBe(Number(k!.cost));
      expect(r.totals.chargedMicro).toBe(Number(k!.charged));
      expect(r.totals.marginMicro).toBe(Number(k!.margin));
      expect(r.totals.chargedMicro).toBeGreaterThan(0);
      // The default billing rule (60/6): no call the simulators produce is billed below its cost.
      const losing =
        await sql`select k.call_id from call_costs k join calls l on l.id = k.call_id where l.campaign_id = ${r.campaignId} and k.profit_margin < 0`;
      expect(losing).toEqual([]);

      // Ledger: the top-up was credited once, and what left the balance is exactly what was charged.
      const [topup] = await sql<
        { status: string; credit_amount: string }[]
      >`select status, credit_amount from topups where id = ${r.topUp.id}`;
      expect(topup!.status).toBe('paid');
      expect(Number(topup!.credit_amount)).toBe(r.topUp.creditMicro);
      expect(r.balance.before).toMatchObject({ available: r.topUp.creditMicro, held: 0 });
      const [bal] = await sql<
        { available: string; held: string }[]
      >`select available, held from ledger_balances where account_id = ${r.accountId}`;
      expect({ available: Number(bal!.available), held: Number(bal!.held) }).toEqual({
        available: r.balance.after.available,
        held: 0,
      });
      expect(r.balance.before.available - r.balance.after.available).toBe(r.totals.chargedMicro);

      // The human-readable report says the same: one table row per call, the totals row, the balances.
      const tableRows = out.split('\n').filter((l) => /^\s*\d+\s+\+\d{4}•••\d{4}\s/.test(l));
      expect(tableRows.length).toBe(r.totals.calls);
      const totalRow = out.split('\n').find((l) => /^\s+total\s+\d+ calls/.test(l));
      expect(totalRow, out).toBeDefined();
      const money = totalRow!.match(/-?\$[\d,.]+/g)!;
      expect(money).toEqual(
        [
          r.totals.sttMicro,
          r.totals.llmMicro,
          r.totals.ttsMicro,
          r.totals.twilioMicro,
          r.totals.chargedMicro,
          r.totals.marginMicro,
        ].map((m) => usd(m)),
      );
      expect(totalRow).toMatch(new RegExp(`\\b${r.totals.calls} calls\\s+${r.totals.durationSec}\\b`));
      expect(out).toContain(`Balance: ${usd(r.balance.before.available)} before, ${usd(r.balance.after.available)} after`);
      expect(out).toContain(
        `http://localhost:${ports.TEMPORAL_UI_PORT}/namespaces/default/workflows/campaign%2F${r.campaignId}/`,
      );

      // --exit stops everything the demo started.
      expect(await processesWithMarker(`${markerKey}=${markerValue}`)).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      for (const pid of await processesWithMarker(`${markerKey}=${markerValue}`)) process.kill(pid, 'SIGKILL');
      await sql.end({ timeout: 2 });
      await rm(dataDir, { recursive: true, force: true });
      await dropDatabase(databaseUrl);
    }
  }, 200_000);
});
