import { describe, expect, it, inject } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { withDatabase } from '../lib/db';
import { dropDatabase } from '../lib/migrate';
import { freePort } from './helpers/ports';
import { processesWithMarker } from './helpers/processes';

/**
 * Stopping works at any moment: a signal that reaches `npm run dev` or `npm run demo` while it is
 * still starting the stack (before it printed its URLs) stops every process it started, though each
 * runs in its own process group. The signal is sent the two ways a user sends it: SIGTERM to npm
 * alone (a supervisor, `kill`), and SIGINT to the whole foreground group (Ctrl-C in a terminal).
 */
async function stackEnv(dataDir: string, marker: string) {
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
    'DIALER_METRICS_PORT',
  ];
  const ports = await Promise.all(names.map(() => freePort()));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AICALL_DATA_DIR: dataDir,
    TEMPORAL_DEV_SERVER: '1',
    AICALL_STOP_TEST_MARKER: marker,
  };
  names.forEach(
    (n, i) => (env[n === 'TEMPORAL' ? 'TEMPORAL_ADDRESS' : n] = n === 'TEMPORAL' ? `127.0.0.1:${ports[i]}` : String(ports[i])),
  );
  return env;
}

/** Names of the marked processes that are stack services (not npm, sh, tsx or the script itself). */
async function services(marker: string, script: string): Promise<string[]> {
  const out: string[] = [];
  for (const pid of await processesWithMarker(marker)) {
    const cmd = (await readFile(`/proc/${pid}/cmdline`, 'latin1').catch(() => '')).split('\0').join(' ');
    if (cmd && !cmd.includes(script) && !/\bnpm\b|^sh |bash scripts\/setup/.test(cmd)) out.push(cmd);
  }
  return out;
}

async function stopDuringStartUp(
  script: 'dev' | 'demo',
  how: 'SIGTERM to npm' | 'Ctrl-C to the group',
  waitFor: (cmds: string[]) => boolean,
) {
  const dataDir = await mkdtemp(path.join(tmpdir(), `aicall-stop-${script}-`));
  const marker = randomUUID();
  const databaseUrl = withDatabase(inject('databaseUrl'), `aicall_stop_${marker.slice(0, 8)}`);
  const env = { ...(await stackEnv(dataDir, marker)), DATABASE_URL: databaseUrl, DEMO_CALLEES: '2' };
  // npm in its own process group, as a terminal runs a foreground job.
  const npm = spawn('npm', ['run', script], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  npm.stdout.on('data', (d) => (out += d));
  npm.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => npm.once('exit', (code) => r(code)));
  try {
    const deadline = Date.now() + 60_000;
    let seen: string[] = [];
    while (Date.now() < deadline && !waitFor((seen = await services(marker, `scripts/${script}.ts`))))
      await new Promise((r) => setTimeout(r, 100));
    expect(waitFor(seen), `no stack service started within 60 s:\n${out}`).toBe(true);
    // Still starting up: it has not printed its URLs.
    expect(out).not.toContain('Ctrl-C stops everything');
    if (how === 'SIGTERM to npm') process.kill(npm.pid!, 'SIGTERM');
    else process.kill(-npm.pid!, 'SIGINT');
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running after 60 s'), 60_000))]);
    expect(code, out).not.toBe('still running after 60 s');
    // Nothing it started is left: not the Temporal dev server, the simulators, workers, gateway or API.
    expect(await services(marker, `scripts/${script}.ts`), out).toEqual([]);
    expect(await processesWithMarker(marker), out).toEqual([]);
    return seen;
  } finally {
    for (const pid of await processesWithMarker(marker)) process.kill(pid, 'SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
    await dropDatabase(databaseUrl).catch(() => {});
  }
}

describe('stopping npm run dev / demo during start-up', () => {
  it('SIGTERM to `npm run dev` while only the Temporal dev server is up stops it', async () => {
    const seen = await stopDuringStartUp('dev', 'SIGTERM to npm', (cmds) => cmds.some((c) => c.includes('start-dev')));
    expect(seen.some((c) => c.includes('start-dev'))).toBe(true);
  }, 150_000);

  it('Ctrl-C to `npm run dev` while the workers start stops every service', async () => {
    const seen = await stopDuringStartUp('dev', 'Ctrl-C to the group', (cmds) =>
      cmds.some((c) => c.includes('workers/orchestrator.ts')),
    );
    expect(seen.some((c) => c.includes('sim/server.ts'))).toBe(true);
  }, 150_000);

  it('SIGTERM to `npm run demo` while the stack starts stops every service', async () => {
    const seen = await stopDuringStartUp('demo', 'SIGTERM to npm', (cmds) => cmds.some((c) => c.includes('sim/server.ts')));
    expect(seen.some((c) => c.includes('start-dev'))).toBe(true);
  }, 150_000);
});
