import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { SttLink, type FrameContext } from '../../media-gateway/conversation/stt-link';
import { UsageMeter } from '../../media-gateway/conversation/usage';
import type { SpeechToText, SttSession } from '../../providers/types';
import { testLogger } from '../helpers/env';

/** A scripted STT: every session records what it was sent; the test makes it answer or fail. */
class FakeSession extends EventEmitter implements SttSession {
  frames: Buffer[] = [];
  closed = false;
  write(ulaw: Buffer) {
    this.frames.push(ulaw);
  }
  get audioMs() {
    return this.frames.reduce((n, b) => n + b.length, 0) / 8;
  }
  async close() {
    this.closed = true;
  }
  fail(code = 'ConnectionLost') {
    this.emit('error', Object.assign(new Error(code), { code }));
  }
}

class FakeStt implements SpeechToText {
  sessions: FakeSession[] = [];
  refuse = false;
  refuseNext = 0;
  async start() {
    if (this.refuse || this.refuseNext-- > 0) throw Object.assign(new Error('refused'), { code: 'ConnectionFailure' });
    const s = new FakeSession();
    this.sessions.push(s);
    return s;
  }
}

const tick = () => new Promise((r) => setImmediate(r));
const frame = (tag: number) => Buffer.alloc(160, tag);

function setup() {
  const stt = new FakeStt();
  const usage = new UsageMeter();
  const got = { partials: [] as string[], finals: [] as string[], fatal: [] as Error[] };
  const link = new SttLink({
    stt,
    usage,
    log: testLogger(),
    language: 'en-US',
    segmentationSilenceMs: 300,
    stallVoiceMs: 2_000,
    onPartial: (t) => got.partials.push(t),
    onFinal: (t) => got.finals.push(t),
    onFatal: (e) => got.fatal.push(e),
  });
  let now = 0;
  let lastVoiceAt = -Infinity;
  /** Writes n frames tagged `tag` (1-255 voiced, 0 silence), 20 ms apart. */
  const send = (n: number, tag: number) => {
    for (let i = 0; i < n; i++) {
      now += 20;
      const voiced = tag !== 0;
      if (voiced) lastVoiceAt = now;
      const f: FrameContext = { now, voiced, lastVoiceAt, agentBusy: false };
      link.write(frame(tag), f);
    }
  };
  return { stt, usage, got, link, send };
}

const tags = (s: FakeSession) => s.frames.map((b) => b[0]);

describe('STT link', () => {
  it('a connection lost mid-sentence: the replacement hears the whole sentence again, from just before it', async () => {
    const { stt, usage, got, link, send } = setup();
    link.start();
    await tick();
    send(30, 0); // 600 ms of silence: only the last 300 ms are kept as pre-roll
    send(10, 7); // the caller starts talking
    stt.sessions[0]!.emit('partial', 'hel');
    send(10, 8);
    stt.sessions[0]!.fail();
    send(5, 9); // arrives while the replacement connects
    await tick();
    expect(stt.sessions).toHaveLength(2);
    const replay = tags(stt.sessions[1]!);
    expect(replay).toEqual([...Array(15).fill(0), ...Array(10).fill(7), ...Array(10).fill(8), ...Array(5).fill(9)]);
    stt.sessions[1]!.emit('final', 'hello there');
    expect(got.finals).toEqual(['hello there']);
    expect(got.partials).toEqual(['hel']);
    expect(got.fatal).toEqual([]);
    // Both sessions' audio is billed, the replay included.
    await link.close();
    expect(usage.snapshot().sttAudioMs).toBe((stt.sessions[0]!.frames.length + stt.sessions[1]!.frames.length) * 20);
    expect(stt.sessions[0]!.closed && stt.sessions[1]!.closed).toBe(true);
  });

  it('after a final nothing is replayed: the replacement starts with what came since', async () => {
    const { stt, link, send } = setup();
    link.start();
    await tick();
    send(20, 5);
    stt.sessions[0]!.emit('final', 'done');
    send(10, 0);
    stt.sessions[0]!.fail();
    send(3, 0);
    await tick();
    expect(tags(stt.sessions[1]!)).toEqual([0, 0, 0]);
  });

  it('a session that answers nothing to 2 s of voice is replaced, with the speech; at most twice a call, never fatal', async () => {
    const { stt, got, link, send } = setup();
    link.start();
    await tick();
    send(99, 3); // 1.98 s of voice, no answer yet
    expect(stt.sessions).toHaveLength(1);
    send(2, 3);
    await tick();
    expect(stt.sessions).toHaveLength(2);
    expect(stt.sessions[0]!.closed).toBe(true);
    expect(stt.sessions[1]!.frames.length).toBeGreaterThanOrEqual(100);
    // Any answer, even a no-match, resets the watchdog.
    send(90, 3);
    stt.sessions[1]!.emit('activity');
    send(90, 3);
    expect(stt.sessions).toHaveLength(2);
    send(20, 3);
    await tick();
    expect(stt.sessions).toHaveLength(3);
    // A noisy line the service rightly ignores: no third replacement, and the call goes on.
    send(300, 3);
    await tick();
    expect(stt.sessions).toHaveLength(3);
    expect(got.fatal).toEqual([]);
  });

  it('a replacement that fails before answering anything is the service being down: fatal', async () => {
    const { stt, got, link, send } = setup();
    link.start();
    await tick();
    send(5, 0);
    stt.refuse = true;
    stt.sessions[0]!.fail();
    await tick();
    await tick();
    expect(got.fatal).toHaveLength(1);
    expect((got.fatal[0] as { code?: string }).code).toBe('ConnectionFailure');
    send(5, 0); // nothing more is sent anywhere
    expect(stt.sessions).toHaveLength(1);
  });

  it('a first connect that fails is retried once; sessions that keep answering may each be replaced', async () => {
    const { stt, got, link, send } = setup();
    stt.refuseNext = 1;
    link.start();
    send(3, 0); // arrives while the first connect fails: kept for the session that connects
    await tick();
    await tick();
    expect(stt.sessions).toHaveLength(1);
    expect(tags(stt.sessions[0]!)).toEqual([0, 0, 0]);
    for (let i = 0; i < 3; i++) {
      send(5, 4);
      stt.sessions.at(-1)!.emit('final', `turn ${i}`);
      stt.sessions.at(-1)!.fail();
      await tick();
    }
    expect(stt.sessions).toHaveLength(4);
    expect(got.fatal).toEqual([]);
    expect(got.finals).toEqual(['turn 0', 'turn 1', 'turn 2']);
  });
});
