import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, open, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReplyScript } from '../../sim/openrouter/server';
import { LocalRecordingStore } from '../../lib/recordings/local-store';
import { readUlawStereoWav, WAVE_FORMAT_MULAW } from '../../lib/recordings/wav';
import { RecordingService } from '../../media-gateway/recording/service';
import type { RecordingCatalog } from '../../lib/recordings/catalog';
import { testLogger } from '../helpers/env';
import { lines, startGatewayHarness, type GatewayHarness, type TestCall } from '../gateway/harness';
import { confirmedAgentAudio, speechEnd, speechOnly } from './helpers';

/**
 * The gateway's call recordings on the wire: the real gateway, the vendor simulators and the
 * simulated callee (which keeps both sides of the call as it sent and received them, and every mark
 * it echoed), so the recording can be checked byte for byte against what was said and heard.
 */

const LONG = 'Our new plan gives you unlimited calls and free data on weekends, and a new phone every year.';
const script: ReplyScript = (messages) => {
  const last = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  if (last === 'Hello?') return { text: LONG };
  if (last === 'Bye.') return { text: 'Bye.', toolCalls: [{ name: 'end_call', arguments: {} }] };
  return { text: 'Sorry, go ahead.' };
};

class MemoryCatalog implements RecordingCatalog {
  readonly rows = new Map<string, { status: string; error?: string; bytes?: number; key?: string }>();
  async started(r: { callId: string; key: string }) {
    this.rows.set(r.callId, { status: 'recording', key: r.key });
  }
  async stored(callId: string, r: { bytes: number }) {
    this.rows.set(callId, { ...this.rows.get(callId), status: 'stored', bytes: r.bytes });
  }
  async failed(callId: string, error: string) {
    this.rows.set(callId, { ...this.rows.get(callId), status: 'failed', error });
  }
}

let dir: string;
let h: GatewayHarness;
let store: LocalRecordingStore;
let recordings: RecordingService;
const catalog = new MemoryCatalog();
/** Calls whose spool file is opened on /dev/full: every write fails with ENOSPC, as on a full disk. */
const fullDisk = new Set<string>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aicall-rec-'));
  store = new LocalRecordingStore(join(dir, 'store'));
  recordings = new RecordingService({
    store,
    spoolDir: join(dir, 'spool'),
    catalog,
    log: testLogger(),
    openSpool: (path) => ([...fullDisk].some((id) => path.includes(id)) ? open('/dev/full', 'w') : open(path, 'w')),
  });
  h = await startGatewayHarness({ script, recordings });
});
afterAll(async () => {
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

async function recordingOf(call: TestCall) {
  await h.waitEnded(call);
  const result = await recordings.result(call.callId)!;
  if (result.status !== 'stored') throw new Error(`recording ${result.status}: ${JSON.stringify(result)}`);
  const file = await readFile(store.pathOf(result.key));
  return { result, file, wav: readUlawStereoWav(file) };
}

describe('call recordings', () => {
  it('a barge-in: stereo µ-law WAV, caller left byte for byte, agent right as heard — the cleared audio is not in it', async () => {
    const call = h.call([{ say: 'Hello?' }, { interrupt: 'Wait, stop.', afterAgentMs: 2_000 }, { say: 'Bye.' }]);
    const { result, file, wav } = await recordingOf(call);

    // Format: WAVE_FORMAT_MULAW, 2 channels, 8 kHz, 8 bits, sizes that match the file.
    expect(file.readUInt16LE(20)).toBe(WAVE_FORMAT_MULAW);
    expect(wav.sampleRate).toBe(8000);
    expect(file.length).toBe(result.bytes);
    expect(wav.left.length).toBe(wav.right.length);
    expect(result.durationMs).toBe(Math.floor(wav.left.length / 8));

    // Left: exactly the caller audio the gateway received (the callee sent it; the tail it sent
    // after the gateway closed the stream never arrived).
    const sent = Buffer.concat(call.stream.recording().caller);
    expect(wav.left.length).toBeGreaterThan(8000 * 3);
    expect(wav.left.length).toBeLessThanOrEqual(sent.length);
    expect(sent.length - wav.left.length).toBeLessThan(8000); // at most the last second
    expect(wav.left.equals(sent.subarray(0, wav.left.length))).toBe(true);

    // Right: the agent audio whose marks the callee confirmed, in order, and nothing else.
    const { kept, dropped } = confirmedAgentAudio(call.media, Buffer.concat(call.stream.agentReceived));
    expect(call.media.clears).toHaveLength(1);
    expect(call.media.clears[0]!.droppedBytes).toBeGreaterThan(0);
    expect(speechOnly(dropped).length).toBeGreaterThan(800); // the barge-in did cut audio
    expect(speechOnly(wav.right).equals(speechOnly(kept))).toBe(true);

    // In time: the long reply's kept audio ends where its last confirmed mark was echoed (± 200 ms
    // of loopback and scheduling), and the agent is silent from the clear until its next reply.
    const clear = call.media.clears[0]!;
    const beforeClear = call.media.marks.filter((m) => !m.cleared && m.echoedMs !== undefined && m.echoedMs <= clear.atMs);
    const lastHeard = beforeClear.at(-1)!;
    const cutEnd = speechEnd(wav.right.subarray(0, clear.atMs * 8 + 1600));
    expect(Math.abs(cutEnd / 8 - lastHeard.echoedMs!)).toBeLessThan(200);
    const nextReply = call.media.agent.find((u) => u.startMs > clear.atMs)!;
    expect(speechOnly(wav.right.subarray(cutEnd, nextReply.startMs * 8 - 800)).length).toBe(0);
    expect(lines(h.workflows.transcript(call.callId))[0]).toBe('agent: Hello, this is Aina from Acme.');
  });

  it('a hang-up mid-greeting: the right channel ends at the last confirmed mark', async () => {
    const call = h.call([{ hangup: true, after: { ms: 1_500 } }]);
    const { wav } = await recordingOf(call);
    const { kept, dropped } = confirmedAgentAudio(call.media, Buffer.concat(call.stream.agentReceived));
    expect(speechOnly(dropped).length).toBeGreaterThan(0); // some of the greeting was never heard
    expect(speechOnly(wav.right).equals(speechOnly(kept))).toBe(true);
    const lastHeard = call.media.marks.filter((m) => !m.cleared && m.echoedMs !== undefined).at(-1)!;
    expect(Math.abs(speechEnd(wav.right) / 8 - lastHeard.echoedMs!)).toBeLessThan(200);
    expect(catalog.rows.get(call.callId)?.status).toBe('stored');
  });

  it('a campaign with recording off: no file, no row; the notice is spoken first when recording is on', async () => {
    const off = h.call([{ say: 'Bye.' }], { agent: { recording: { enabled: false, notice: 'This call is recorded.' } } });
    await h.waitEnded(off);
    expect(await recordings.result(off.callId)).toMatchObject({ status: 'off' });
    expect(catalog.rows.has(off.callId)).toBe(false);
    expect(lines(h.workflows.transcript(off.callId))[0]).toBe('agent: Hello, this is Aina from Acme.');

    const on = h.call([{ say: 'Bye.' }], { agent: { recording: { notice: 'This call is recorded.' } } });
    const { result } = await recordingOf(on);
    expect(lines(h.workflows.transcript(on.callId))[0]).toBe('agent: This call is recorded. Hello, this is Aina from Acme.');
    // What the callee heard first is the notice.
    expect(on.media.agent[0]!.text).toBe('This call is recorded. Hello, this is Aina from Acme.');
    expect((await stat(store.pathOf(result.key))).size).toBe(result.bytes);
  });

  it('a stream the workflow refuses records nothing', async () => {
    const call = h.call([{ say: 'Hello?' }], { register: false });
    await call.stream.ended;
    expect(await recordings.result(call.callId)).toMatchObject({ status: 'off' });
    expect(catalog.rows.has(call.callId)).toBe(false);
    expect((await readdir(join(dir, 'spool')).catch(() => [] as string[])).filter((f) => f.includes(call.callId))).toEqual([]);
  });

  it('a full disk ends the recording, not the call: reported, flagged on the call, nothing left behind', async () => {
    const call = h.call([{ say: 'Hello?' }, { say: 'Bye.', after: { ms: 1_500 } }]);
    fullDisk.add(call.callId);
    const ended = await h.waitEnded(call);
    // The conversation went on to its normal end.
    expect(ended.reason).toBe('end_call');
    expect(lines(h.workflows.transcript(call.callId)).at(-1)).toBe('agent: Bye.');
    const result = await recordings.result(call.callId)!;
    expect(result.status).toBe('failed');
    expect(result.status === 'failed' && result.error).toMatch(/ENOSPC|no space/i);
    expect(catalog.rows.get(call.callId)).toMatchObject({ status: 'failed' });
    expect(catalog.rows.get(call.callId)!.error).toMatch(/ENOSPC|no space/i);
    expect((await readdir(join(dir, 'spool'))).filter((f) => f.includes(call.callId))).toEqual([]);
  });
});
