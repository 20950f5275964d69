import { writeFileSync } from 'node:fs';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { startTwilioSim } from './twilio/server';
import type { Scenario } from './twilio/scenario';
import { DEV_SCENARIO } from './callee/dev-scenario';
import { demoAgentScript } from './callee/agent-script';
import { startBillplzSim } from './billplz/server';
import { startAzureSpeechSim } from './azure-speech/server';
import { startOpenRouterSim } from './openrouter/server';
import { startElevenLabsSim } from './elevenlabs/server';

/**
 * `npm run dev`: every vendor simulator whose vendor has no credentials, in one process. When all
 * listen, writes SIM_ENV_FILE: the environment that points each adapter at its simulator.
 * Each vendor adds its block below (fixed ports in dev so URLs stay stable between runs).
 */
const config = loadConfig();
const log = createLogger('sim');
const env: Record<string, string> = {};
const closers: (() => Promise<void>)[] = [];

if (config.vendors.twilio === 'sim') {
  const port = Number(process.env.SIM_TWILIO_PORT ?? 3010);
  // Callees in dev: SIM_TWILIO_SCENARIO (JSON, sim/twilio/scenario.ts), else the mixed set of
  // sim/callee/dev-scenario.ts (persona by the number's last digit). Answered calls talk to the media
  // gateway through the simulated callee; each call's stereo WAV goes to SIM_RECORDINGS_DIR.
  const scenario = process.env.SIM_TWILIO_SCENARIO ? (JSON.parse(process.env.SIM_TWILIO_SCENARIO) as Scenario) : DEV_SCENARIO;
  const recordingsDir =
    process.env.SIM_RECORDINGS_DIR === 'off' ? undefined : process.env.SIM_RECORDINGS_DIR || '.data/recordings';
  const twilioLog = (msg: string, fields?: Record<string, unknown>) => log.info({ vendor: 'twilio', ...fields }, msg);
  // SIM_CALLEE=off: no media session at all (answered calls last as the scenario says), for a stack
  // without a media gateway, where a real stream would fail to connect and end every call at once.
  const callee = process.env.SIM_CALLEE === 'off' ? undefined : { recordingsDir, log: twilioLog };
  const twilio = await startTwilioSim({ port, scenario, log: twilioLog, callee });
  Object.assign(env, twilio.env());
  closers.push(() => twilio.close());
  log.info({ url: twilio.url, recordingsDir }, 'twilio simulator listening');
}

if (config.vendors.billplz === 'sim') {
  const billplz = await startBillplzSim({ port: Number(process.env.SIM_BILLPLZ_PORT ?? 3014) });
  Object.assign(env, billplz.env());
  closers.push(() => billplz.close());
  log.info({ url: billplz.url }, 'billplz simulator listening (pay bills at /bills/<id>)');
}

// Real-time vendors (issue 6): latencies roughly those of the real services, so the demo feels real.
if (config.vendors.azure === 'sim') {
  const azure = await startAzureSpeechSim({ port: Number(process.env.SIM_AZURE_SPEECH_PORT ?? 3011), finalLatencyMs: 150 });
  Object.assign(env, azure.env());
  closers.push(() => azure.close());
  log.info({ url: azure.endpoint }, 'azure speech simulator listening');
}

if (config.vendors.openrouter === 'sim') {
  const openrouter = await startOpenRouterSim({
    port: Number(process.env.SIM_OPENROUTER_PORT ?? 3012),
    firstTokenMs: 350,
    tokensPerSec: 80,
    // The agent side of the dev callees' personas: keyword rules, so every conversation ends.
    script: demoAgentScript,
  });
  Object.assign(env, openrouter.env());
  closers.push(() => openrouter.close());
  log.info({ url: openrouter.baseUrl }, 'openrouter simulator listening');
}

if (config.vendors.elevenlabs === 'sim') {
  const elevenlabs = await startElevenLabsSim({ port: Number(process.env.SIM_ELEVENLABS_PORT ?? 3013), firstByteMs: 120 });
  Object.assign(env, elevenlabs.env());
  closers.push(() => elevenlabs.close());
  log.info({ url: elevenlabs.url }, 'elevenlabs simulator listening');
}

if (process.env.SIM_ENV_FILE) writeFileSync(process.env.SIM_ENV_FILE, JSON.stringify(env, null, 2));

const stop = async () => {
  await Promise.allSettled(closers.map((c) => c()));
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
