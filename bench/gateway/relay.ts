import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { StallMeter } from './stalls';

/**
 * Child process of bench:gateway: the floor. A bare `ws` relay that parses the same Twilio frames
 * the gateway parses and forwards them (caller audio to a peer, the peer's audio back as 20 ms
 * `media` frames with a mark per chunk), with no STT, model, TTS or conversation logic.
 */
const peerUrl = process.argv[2]!;
const server = createServer();
const wss = new WebSocketServer({ server, perMessageDeflate: false });
wss.on('connection', (client) => {
  const peer = new WebSocket(peerUrl, { perMessageDeflate: false });
  const pending: (Buffer | string)[] = [];
  let streamSid = '';
  let marks = 0;
  let ended = false;
  const toPeer = (m: Buffer | string) => (peer.readyState === WebSocket.OPEN ? peer.send(m) : pending.push(m));
  peer.on('open', () => {
    for (const m of pending.splice(0)) peer.send(m);
  });
  client.on('message', (data: Buffer) => {
    const msg = JSON.parse(data.toString('utf8'));
    if (msg.event === 'media') toPeer(Buffer.from(msg.media.payload, 'base64'));
    else if (msg.event === 'start') {
      streamSid = msg.start.streamSid;
      toPeer('start');
    } else if (msg.event === 'mark') {
      if (--marks === 0 && ended) client.close(1000, 'end');
    } else if (msg.event === 'stop') client.close(1000, 'stopped');
  });
  const sock = (client as unknown as { _socket: { cork(): void; uncork(): void } })._socket;
  peer.on('message', (data: Buffer, isBinary) => {
    if (!isBinary) {
      ended = true;
      if (marks === 0) client.close(1000, 'end');
      return;
    }
    sock.cork();
    for (let i = 0; i < data.length; i += 160) {
      client.send(
        `{"event":"media","streamSid":${JSON.stringify(streamSid)},"media":{"payload":"${data.subarray(i, i + 160).toString('base64')}"}}`,
      );
    }
    client.send(JSON.stringify({ event: 'mark', streamSid, mark: { name: `m${++marks}` } }));
    process.nextTick(() => sock.uncork());
  });
  client.on('close', () => peer.close());
  peer.on('error', () => client.close(1011, 'peer failed'));
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
console.log(JSON.stringify({ url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/twilio/stream` }));
// The same meter the gateway runs, so both pay for it; its figures go to stderr at the end.
const stalls = new StallMeter();
process.on('SIGTERM', () => {
  console.error(`relay main thread over the whole run: ${StallMeter.describe(stalls.take())}`);
  process.exit(0);
});
