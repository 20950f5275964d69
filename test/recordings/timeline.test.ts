import { describe, expect, it } from 'vitest';
import { RecordingTimeline } from '../../media-gateway/recording/timeline';

/** The recording's timeline as plain state: placement by the caller clock, marks, clears, the end. */

const frame = (v: number, n = 160) => Buffer.alloc(n, v);
function run(t: RecordingTimeline, final = true) {
  const parts: Buffer[] = [];
  for (let b = t.takeReady(); b; b = t.takeReady()) parts.push(b);
  if (final) {
    const rest = t.takeAll();
    if (rest) parts.push(rest);
  }
  const all = Buffer.concat(parts);
  const left = Buffer.alloc(all.length / 2);
  const right = Buffer.alloc(all.length / 2);
  for (let i = 0; i < left.length; i++) {
    left[i] = all[2 * i]!;
    right[i] = all[2 * i + 1]!;
  }
  return { left, right };
}

describe('RecordingTimeline', () => {
  it("places agent audio at the caller clock when Twilio's buffer is empty, queued after it otherwise", () => {
    const t = new RecordingTimeline();
    t.caller(frame(1));
    t.agent(frame(2, 100), 'm1');
    t.agent(frame(3, 100), 'm2'); // queued behind m1: starts at 260
    t.caller(frame(1));
    t.caller(frame(1));
    t.confirmed('m2'); // confirms m1 as well
    t.caller(frame(1)); // 640: m1, m2 played out long ago
    t.agent(frame(4, 50), 'm3'); // buffer ran dry: starts now, at 640
    t.confirmed('m3');
    const { left, right } = run(t);
    expect(left.length).toBe(690);
    expect(left.subarray(0, 640).every((b) => b === 1)).toBe(true);
    expect(right.subarray(160, 260).every((b) => b === 2)).toBe(true);
    expect(right.subarray(260, 360).every((b) => b === 3)).toBe(true);
    expect(right.subarray(640, 690).every((b) => b === 4)).toBe(true);
    expect([...right.subarray(0, 160), ...right.subarray(360, 640)].every((b) => b === 0xff)).toBe(true);
  });

  it('holds back output while a mark is pending, and drops unconfirmed audio at a clear and at the end', () => {
    const t = new RecordingTimeline();
    t.caller(frame(1));
    t.agent(frame(2, 320), 'm1');
    t.caller(frame(1));
    t.caller(frame(1));
    // The chunk from 160 may still be kept: only the first 160 samples are final.
    expect(t.takeReady()!.length).toBe(320);
    t.cleared();
    expect(t.confirmed('m1')).toBe(false); // an echo after the clear is not a confirmation
    t.agent(frame(5, 100), 'm2'); // starts at 480 (Twilio's buffer is empty after the clear)
    t.caller(frame(1));
    const { left, right } = run(t);
    expect(left.length + 160).toBe(640);
    expect(right.every((b) => b === 0xff)).toBe(true); // m1 cleared, m2 never confirmed
  });

  it('gives up a mark that never comes back after the lag limit, so memory stays bounded', () => {
    const t = new RecordingTimeline({ maxPendingLag: 800 });
    t.agent(frame(2, 160), 'm1');
    for (let i = 0; i < 10; i++) t.caller(frame(1));
    expect(t.droppedStale).toBe(160);
    expect(t.takeReady()!.length).toBe(3200);
  });
});
