/**
 * `npm run demo`: the whole product on its vendor simulators, end to end, in under two minutes.
 * Brings the stack up (its own data directory and database), creates an account and an API key,
 * tops it up through the Billplz simulator, runs a campaign of simulated callees with varied
 * personas, shows live progress, then prints every call with its cost breakdown, the balance before
 * and after, and where to look next. The last line is machine-readable (DEMO_RESULT {json}).
 * The stack stays up until Ctrl-C unless --exit / DEMO_EXIT=1.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startStack, ROOT_DIR, type Stack } from './dev/stack';
import { stopAllProcesses, stopOnSignals } from './dev/processes';
import { connectTemporal } from '../lib/temporal';
import { campaignWorkflowId } from '../lib/ids';
import { parseOptions, demoEnvironment, demoDataDir } from './demo/options';
import { roster, scenarioFor } from './demo/roster';
import { balance, createDemoAccount, topUp } from './demo/account';
import { createCampaign, runCampaign } from './demo/campaign';
import { progressView } from './demo/progress';
import { callsTable, fetchCalls, sampleConversation, totalsOf } from './demo/report';
import { rm, usd } from './demo/format';
import { awaitRecordings } from './demo/recordings';
import { createSql } from '../lib/db';
import { demoConsoleLink } from '../api/console/cli';

const TOP_UP_SEN = 20_000; // RM 200.00

const t0 = Date.now();
const secs = (from: number) => ((Date.now() - from) / 1000).toFixed(1);
const step = (n: number, text: string) => console.log(`\n${n}/5 ${text}`);

let stack: Stack | undefined;
let stopping = false;
const stopStack = async (why: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${why}: stopping…`);
  await stack?.stop();
  console.log('stopped.');
};
const shutdown = async (why: string, code: number) => {
  if (stopping) return;
  await stopStack(why);
  await stopAllProcesses();
  process.exit(code);
};
// In place before the first process starts: a signal during start-up stops what has started.
stopOnSignals(stopStack);

try {
  const opts = parseOptions(process.argv.slice(2), process.env);
  const dataDir = demoDataDir(ROOT_DIR, process.env);
  const { env, moved } = await demoEnvironment(process.env);
  const callees = roster(opts.callees);
  const recordingsDir = path.join(dataDir, 'recordings');
  // Conversations need the media gateway; without one, answered calls end after a fixed time.
  const conversations = existsSync(path.join(ROOT_DIR, 'media-gateway/server.ts'));
  env.SIM_TWILIO_SCENARIO = JSON.stringify(scenarioFor(callees, { conversations }));
  env.SIM_RECORDINGS_DIR = recordingsDir;
  // A person listens to the demo's recordings: the simulators speak espeak-ng, not the tone code.
  env.SIM_SPEECH ??= 'espeak';
  // Without a gateway a real stream would fail to connect and end each answered call at once.
  if (!conversations) env.SIM_CALLEE = 'off';
  // Each run starts from a clean Temporal history and recordings folder, so what the UI and the
  // folder show is this run; the database keeps earlier runs under their own accounts.
  if (env.TEMPORAL_DEV_SERVER === '1') rmSync(path.join(dataDir, 'temporal.sqlite'), { force: true });
  rmSync(recordingsDir, { recursive: true, force: true });
  mkdirSync(recordingsDir, { recursive: true });

  console.log(`aicall demo: a campaign of ${callees.length} simulated callees, every vendor on its local simulator`);
  if (!conversations)
    console.log('(no media gateway in this checkout: answered calls end after a fixed time, without a conversation)');
  if (moved.length) console.log(`(ports in use, moved: ${moved.join(', ')})`);

  step(1, 'Starting the stack: Temporal dev server, Postgres schema, vendor simulators, workers, media gateway, API…');
  const tStack = Date.now();
  stack = await startStack({ dataDir, env, log: (l) => console.log(`    ${l}`) });
  const stackSec = Number(secs(tStack));
  console.log(`    up in ${stackSec}s (logs in ${path.relative(process.cwd(), path.join(dataDir, 'logs')) || '.'}/)`);
  void stack.firstExit.then((p) =>
    shutdown(`${p.name} exited unexpectedly (see ${path.join(dataDir, 'logs', `${p.name}.log`)})`, 1),
  );
  const origin = `http://127.0.0.1:${stack.config.API_PORT}`;

  step(2, 'Creating an account and a client API key (admin API)…');
  const acct = await createDemoAccount(origin, stack.adminKey, { maxConcurrentCalls: opts.maxConcurrentCalls });
  console.log(`    account ${acct.accountId}\n    client API key ${acct.apiKey} (shown once; stored only as a hash)`);

  step(3, `Topping up ${rm(TOP_UP_SEN)} through Billplz (simulator): create the bill, pay it, wait for the callback…`);
  const tTop = Date.now();
  const t = await topUp(acct.api, TOP_UP_SEN);
  const before = await balance(acct.api);
  console.log(
    `    bill ${t.billId} paid, top-up workflow credited ${usd(t.creditMicro, 2)} in ${secs(tTop)}s; balance ${usd(before.available, 2)}`,
  );

  const kinds = new Map<string, number>();
  for (const c of callees) kinds.set(c.persona, (kinds.get(c.persona) ?? 0) + 1);
  const { id: campaignId } = await createCampaign(acct.api, callees, { maxConcurrentCalls: opts.maxConcurrentCalls });
  step(
    4,
    `Campaign ${campaignId}: ${callees.length} callees (${[...kinds].map(([k, n]) => `${n} ${k.replace(/_/g, ' ')}`).join(', ')}), up to ${opts.maxConcurrentCalls} calls at a time`,
  );

  step(5, 'Calling…');
  const { elapsedSec: campaignSec } = await runCampaign(acct.api, campaignId, progressView(), opts.timeoutSec * 1000);

  const rows = await fetchCalls(acct.api, campaignId, callees);
  const totals = totalsOf(rows);
  const after = await balance(acct.api);
  const ui = `http://localhost:${stack.config.TEMPORAL_UI_PORT}/namespaces/${stack.config.TEMPORAL_NAMESPACE}`;
  let campaignUrl = `${ui}/workflows?query=${encodeURIComponent(`WorkflowId="${campaignWorkflowId(campaignId)}"`)}`;
  const temporal = await connectTemporal(stack.config);
  try {
    const d = await temporal.workflow.getHandle(campaignWorkflowId(campaignId)).describe();
    campaignUrl = `${ui}/workflows/${encodeURIComponent(d.workflowId)}/${d.runId}/history`;
  } finally {
    await temporal.connection.close();
  }
  const callsUrl = `${ui}/workflows?query=${encodeURIComponent(`CampaignId="${campaignId}"`)}`;
  const answered = rows.filter((r) => r.callSid && (r.status === 'completed' || r.status === 'voicemail')).map((r) => r.callSid!);
  const recordings = conversations ? await awaitRecordings(recordingsDir, answered) : [];
  const recordingOf = (r: { callSid: string | null }) =>
    r.callSid && recordings.includes(`${r.callSid}.wav`) ? `${r.callSid}.wav` : undefined;

  console.log(
    `\nCalls (${rows.length} for ${callees.length} callees; busy and unanswered numbers are tried twice), costs in USD:\n`,
  );
  console.log(callsTable(rows, totals));
  const convo = sampleConversation(rows, (r) => {
    const f = recordingOf(r);
    return f && path.join(recordingsDir, f);
  });
  if (convo) console.log(`\n${convo}`);
  console.log(
    `\nBy status: ${Object.entries(totals.byStatus)
      .map(([k, n]) => `${k.replace(/_/g, ' ')} ${n}`)
      .join(', ')}`,
  );
  console.log(
    `Provider cost ${usd(totals.providerCostMicro)} (STT ${usd(totals.sttMicro)}, LLM ${usd(totals.llmMicro)}, TTS ${usd(totals.ttsMicro)}, Twilio ${usd(totals.twilioMicro)}); charged ${usd(totals.chargedMicro)}; margin ${usd(totals.marginMicro)}`,
  );
  console.log(
    `Balance: ${usd(before.available)} before, ${usd(after.available)} after (${usd(before.available - after.available)} spent, ${usd(after.held)} still held)`,
  );
  if (recordings.length)
    console.log(
      `Recordings: ${recordings.length} stereo WAV files (left: callee, right: agent), named by Twilio CallSid, in ${recordingsDir}`,
    );
  else
    console.log(
      `Recordings: none in ${recordingsDir}${conversations ? '' : ' (no media gateway in this checkout, so no call audio: answered calls end after a fixed time)'}`,
    );
  if (conversations && stack.env.RECORDINGS_DIR && stack.env.RECORDINGS_DIR !== 'off') {
    console.log(
      `Gateway recordings (µ-law, as heard; GET /v1/calls/<id>/recording): ${stack.env.RECORDINGS_DIR}/<accountId>/<callId>.wav`,
    );
  }
  console.log(`Temporal UI: the campaign ${campaignUrl}`);
  console.log(`             its calls    ${callsUrl}`);
  const totalSec = Number(secs(t0));
  console.log(`\nDone in ${totalSec}s (stack ${stackSec}s, campaign ${campaignSec.toFixed(1)}s).`);

  const result = {
    accountId: acct.accountId,
    campaignId,
    callees: callees.length,
    topUp: { id: t.topUpId, billId: t.billId, amountSen: t.amountSen, creditMicro: t.creditMicro },
    balance: { before, after },
    totals,
    calls: rows.map((r) => ({
      id: r.id,
      callSid: r.callSid,
      toLast4: r.to.slice(-4),
      persona: r.persona,
      attempt: r.attempt,
      status: r.status,
      outcome: r.outcome,
      durationSec: r.durationSec,
      sttMicro: r.sttMicro,
      llmMicro: r.llmMicro,
      ttsMicro: r.ttsMicro,
      twilioMicro: r.twilioMicro,
      providerCostMicro: r.providerCostMicro,
      chargedMicro: r.chargedMicro,
      marginMicro: r.marginMicro,
      transcriptTurns: r.transcriptTurns,
      recording: recordingOf(r) ?? null,
    })),
    recordings: { dir: recordingsDir, files: recordings },
    temporalUi: { campaign: campaignUrl, calls: callsUrl },
    api: origin,
    seconds: { total: totalSec, stack: stackSec, campaign: Number(campaignSec.toFixed(1)) },
  };
  console.log(`DEMO_RESULT ${JSON.stringify(result)}`);

  if (opts.exit) await shutdown('--exit', 0);
  console.log(
    `\nThe stack stays up: API ${stack.urls['API']} with the client key above (admin key in ${path.join(dataDir, 'dev-secrets.json')}), Temporal UI ${stack.urls['Temporal UI']}`,
  );
  const consoleSql = createSql(stack.config.DATABASE_URL, { max: 1 });
  const consoleUrl = await demoConsoleLink(consoleSql, stack.config, acct.accountId, `/app/campaigns/${campaignId}`).finally(() =>
    consoleSql.end(),
  );
  console.log(
    `\nOperator console (signed in as the demo account's owner; the link works once, for 15 minutes):\n  ${consoleUrl}`,
  );
  console.log('Ctrl-C stops everything.');
} catch (err) {
  if (stopping) await new Promise(() => {}); // a signal is stopping everything; its handler exits
  console.error(`\ndemo failed: ${(err as Error).message}`);
  await shutdown('failure', 1);
}
