import type { IncomingHttpHeaders } from 'node:http';
import { encodeSpeech, SpeechDecoder } from '../../sim/audio';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { startTwilioSim, type TwilioSimOptions } from '../../sim/twilio/server';

/**
 * A stand-in for the media gateway: accepts Media Streams at /twilio/stream, records every frame
 * the simulated Twilio sends (with how many caller media frames preceded it), and lets the test
 * send media / mark / clear like a gateway would.
 */

export interface Received {
  msg: Record<string, any>;
  /** Caller media frames received before this message (a clock in 20 ms units, immune to load). */
  mediaBefore: number;
  at: number;
}

export class FakeConn {
  readonly received: Received[] = [];
  media = 0;
  closed?: { code: number; reason: string };
  private waiters: (() => void)[] = [];
  constructor(
    readonly ws: WebSocket,
    readonly headers: IncomingHttpHeaders,
    readonly path: string,
  ) {
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as Record<string, any>;
      this.received.push({ msg, mediaBefore: this.media, at: Date.now() });
      if (msg.event === 'media') this.media++;
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }
  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }
  get streamSid(): string {
    return this.events('start')[0]!.msg.streamSid;
  }
  events(event: string): Received[] {
    return this.received.filter((r) => r.msg.event === event);
  }
  async until<T>(check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = check();
      if (v) return v;
      if (Date.now() > deadline) throw new Error('fake gateway: condition not met in time');
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
  /** Waits for `n` more caller media frames (n × 20 ms of the callee's clock). */
  frames(n: number): Promise<number> {
    const target = this.media + n;
    return this.until(() => this.media >= target && this.media);
  }
  send(msg: unknown) {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }
  sendAudio(ulaw: Buffer, chunk = 640) {
    for (let i = 0; i < ulaw.length; i += chunk)
      this.send({
        event: 'media',
        streamSid: this.streamSid,
        media: { payload: ulaw.subarray(i, i + chunk).toString('base64') },
      });
  }
  mark(name: string) {
    this.send({ event: 'mark', streamSid: this.streamSid, mark: { name } });
  }
  clear() {
    this.send({ event: 'clear', streamSid: this.streamSid });
  }
}

export async function startFakeGateway(onConnection?: (c: FakeConn) => void) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', path: '/twilio/stream' });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const conns: FakeConn[] = [];
  const waiting: ((c: FakeConn) => void)[] = [];
  wss.on('connection', (ws, req) => {
    const c = new FakeConn(ws, req.headers, req.url ?? '');
    conns.push(c);
    // Start the test's behaviour only once `start` arrived (it carries the streamSid).
    void c
      .until(() => c.events('start').length > 0)
      .then(
        () => {
          onConnection?.(c);
          waiting.shift()?.(c);
        },
        () => {},
      );
  });
  const port = (wss.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}/twilio/stream`,
    conns,
    next: () => new Promise<FakeConn>((r) => waiting.push(r)),
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
}

export async function startSimWithCallee(opts: TwilioSimOptions) {
  const sim = await startTwilioSim({ callee: true, ringDelayMs: 0, ...opts });
  const auth = 'Basic ' + Buffer.from(`${sim.accountSid}:${sim.authToken}`).toString('base64');
  const base = `${sim.url}/2010-04-01/Accounts/${sim.accountSid}/Calls`;
  return {
    sim,
    /** Places a call whose TwiML connects a stream to `streamUrl`; returns the CallSid. */
    async dial(to: string, streamUrl: string, params: Record<string, string> = { token: 't0k3n' }): Promise<string> {
      const p = Object.entries(params)
        .map(([n, v]) => `<Parameter name="${n}" value="${v}"/>`)
        .join('');
      const twiml = `<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="${streamUrl}">${p}</Stream></Connect></Response>`;
      const res = await fetch(`${base}.json`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ To: to, From: '+60312345678', Twiml: twiml }).toString(),
      });
      if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { sid: string }).sid;
    },
    async hangup(sid: string) {
      const res = await fetch(`${base}/${sid}.json`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'Status=completed',
      });
      if (res.status !== 200) throw new Error(`hangup failed: ${res.status}`);
    },
  };
}

/**
 * A toy agent on a fake-gateway connection: speaks `greeting`, decodes the caller with the speech
 * codec, answers each final transcript from `replies` (marking each reply), and, when `bargeIn`,
 * clears its audio as soon as the caller starts speaking over it.
 */
export function toyAgent(c: FakeConn, opts: { greeting: string; replies?: Record<string, string>; bargeIn?: boolean }) {
  const heard: { text: string; overAgent: boolean }[] = [];
  const decoder = new SpeechDecoder({ endSilenceMs: 300 });
  let speakingUntilFrame = 0;
  let n = 0;
  const say = (text: string) => {
    const audio = encodeSpeech(text);
    c.sendAudio(audio);
    c.mark(`reply-${++n}`);
    speakingUntilFrame = Math.max(speakingUntilFrame, c.media) + Math.ceil(audio.length / 160);
  };
  let seen = 0;
  let startedOver = false;
  const onFrame = () => {
    const media = c.events('media');
    for (; seen < media.length; seen++) {
      for (const ev of decoder.feed(Buffer.from(media[seen]!.msg.media.payload, 'base64'))) {
        if (ev.type === 'speechStart') {
          startedOver = seen < speakingUntilFrame;
          if (startedOver && opts.bargeIn) {
            c.clear();
            speakingUntilFrame = 0;
          }
        }
        if (ev.type === 'final') {
          heard.push({ text: ev.text, overAgent: startedOver });
          const reply = opts.replies?.[ev.text];
          if (reply) say(reply);
        }
      }
    }
  };
  c.ws.on('message', () => onFrame());
  say(opts.greeting);
  return { heard };
}
