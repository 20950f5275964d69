/**
 * Speech SDK WebSocket framing (both directions use the same header block):
 * text frames are `Header: value\r\n…\r\n\r\n<body>`; binary frames are a 2-byte big-endian
 * header length, the header block, then the body.
 */

export interface SpeechMessage {
  headers: Record<string, string>;
  path: string;
  requestId: string;
  body: Buffer;
}

function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return headers;
}

export function parseMessage(data: Buffer, isBinary: boolean): SpeechMessage {
  let headers: Record<string, string>;
  let body: Buffer;
  if (isBinary) {
    if (data.length < 2) throw new Error('binary frame shorter than its header length');
    const len = data.readUInt16BE(0);
    if (data.length < 2 + len) throw new Error('binary frame shorter than its header');
    headers = parseHeaders(data.subarray(2, 2 + len).toString('utf8'));
    body = data.subarray(2 + len);
  } else {
    const text = data.toString('utf8');
    const end = text.indexOf('\r\n\r\n');
    headers = parseHeaders(end < 0 ? text : text.slice(0, end));
    body = Buffer.from(end < 0 ? '' : text.slice(end + 4), 'utf8');
  }
  return { headers, path: (headers.path ?? '').toLowerCase(), requestId: headers['x-requestid'] ?? '', body };
}

export function textMessage(path: string, requestId: string, body: unknown): string {
  return (
    `Path: ${path}\r\nX-RequestId: ${requestId}\r\nX-Timestamp: ${new Date().toISOString()}\r\n` +
    `Content-Type: application/json; charset=utf-8\r\n\r\n${JSON.stringify(body)}`
  );
}

/** Length of the RIFF/WAVE header at the start of `buf` (up to and including the `data` chunk header), or 0. */
export function riffHeaderLength(buf: Buffer): number {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') return 0;
  let at = 12;
  while (at + 8 <= buf.length) {
    const id = buf.toString('ascii', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    if (id === 'data') return at + 8;
    at += 8 + size + (size & 1);
  }
  return buf.length;
}

/** Format tag, rate, bits from a RIFF header's `fmt ` chunk (for checking the client sent µ-law 8 kHz). */
export function riffFormat(
  buf: Buffer,
): { formatTag: number; channels: number; sampleRate: number; bitsPerSample: number } | undefined {
  const at = buf.indexOf('fmt ', 12, 'ascii');
  if (at < 0 || at + 24 > buf.length) return undefined;
  return {
    formatTag: buf.readUInt16LE(at + 8),
    channels: buf.readUInt16LE(at + 10),
    sampleRate: buf.readUInt32LE(at + 12),
    bitsPerSample: buf.readUInt16LE(at + 22),
  };
}
