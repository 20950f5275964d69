import { describe, expect, it } from 'vitest';
import { AudioTail } from '../../media-gateway/conversation/audio-tail';

/** The reference: every byte ever pushed, trimmed the same way. */
function reference(pushes: [Uint8Array, number][], capacity: number): number[] {
  let kept: number[] = [];
  for (const [bytes, keep] of pushes) {
    kept = [...kept, ...bytes];
    kept = kept.slice(Math.max(0, kept.length - Math.min(keep, capacity)));
  }
  return kept;
}

describe('AudioTail', () => {
  it('keeps the newest bytes in order across wrap-arounds, trims to `keep`, and clears', () => {
    const tail = new AudioTail(1000);
    const pushes: [Uint8Array, number][] = [];
    let n = 0;
    // Deterministic mix of frame sizes and limits: pre-roll (300), replay (capacity), odd sizes.
    for (let i = 0; i < 400; i++) {
      const size = [160, 160, 37, 999, 1000, 2500, 1][i % 7]!;
      const keep = i % 11 < 4 ? 300 : 1000;
      const bytes = Uint8Array.from({ length: size }, () => n++ % 251);
      tail.push(bytes, keep);
      pushes.push([bytes, keep]);
      const want = reference(pushes.slice(-30), 1000);
      expect(tail.length).toBe(want.length);
      if (i % 13 === 0) expect([...tail.copy()]).toEqual(want);
    }
    tail.clear();
    expect(tail.length).toBe(0);
    expect(tail.copy().length).toBe(0);
    tail.push(Uint8Array.of(1, 2, 3));
    expect([...tail.copy()]).toEqual([1, 2, 3]);
  });

  it('copies what it is given: the caller may reuse its buffer', () => {
    const tail = new AudioTail(16);
    const frame = Buffer.from([1, 2, 3, 4]);
    tail.push(frame);
    frame.fill(9);
    expect([...tail.copy()]).toEqual([1, 2, 3, 4]);
    const out = tail.copy();
    out.fill(0);
    expect([...tail.copy()]).toEqual([1, 2, 3, 4]);
  });
});
