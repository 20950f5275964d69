import { describe, expect, it } from 'vitest';
import { usd } from '../../scripts/demo/format';
import { maskNumber, roster, scenarioFor } from '../../scripts/demo/roster';
import { progressView, type ProgressSnapshot } from '../../scripts/demo/progress';
import { parseOptions } from '../../scripts/demo/options';
import { normalizeContacts } from '../../lib/contacts/normalize';

function fakeStream(tty: boolean) {
  const writes: string[] = [];
  const s = { isTTY: tty, columns: 80, write: (chunk: string) => (writes.push(chunk), true) } as unknown as NodeJS.WriteStream;
  return { s, writes };
}

const snap = (over: Partial<ProgressSnapshot> = {}): ProgressSnapshot => ({
  elapsedSec: 3,
  contactsDone: 1,
  contactsTotal: 4,
  inFlight: 2,
  callsFinished: 1,
  byStatus: { busy: 1 },
  spentMicro: 0,
  availableMicro: 45_000_000,
  heldMicro: 800_000,
  ...over,
});

describe('demo parts', () => {
  it('formats micro-units as dollars with integer rounding, half away from zero', () => {
    expect(usd(0)).toBe('$0.0000');
    expect(usd(330_002)).toBe('$0.3300');
    expect(usd(6_667)).toBe('$0.0067');
    expect(usd(-6_333)).toBe('-$0.0063');
    expect(usd(45_000_000, 2)).toBe('$45.00');
    expect(usd(1_234_567_890, 2)).toBe('$1,234.57');
    expect(usd(50, 4)).toBe('$0.0001');
    expect(usd(49, 4)).toBe('$0.0000');
  });

  it('masks numbers to the operator prefix and the last four digits', () => {
    expect(maskNumber('+60125550101')).toBe('+6012•••0101');
    expect(maskNumber('+60125550101')).not.toContain('555');
  });

  it('gives every callee a valid, distinct Malaysian number and a simulator behaviour for its persona', () => {
    const callees = roster(20);
    const report = normalizeContacts(
      callees.map((c, i) => ({ phone: c.phone, line: i + 1 })),
      'MY',
    );
    expect(report.accepted.length).toBe(20);
    expect(new Set(callees.map((c) => c.persona))).toEqual(
      new Set([
        'interested',
        'not_interested',
        'callback',
        'interrupter',
        'backchanneler',
        'silent',
        'hangs_up_early',
        'busy',
        'no_answer',
        'voicemail',
        'failed',
      ]),
    );
    const scenario = scenarioFor(callees, { conversations: false });
    const kind = (p: string) => scenario.numbers![callees.find((c) => c.persona === p)!.phone]!.kind;
    expect([kind('busy'), kind('no_answer'), kind('voicemail'), kind('failed'), kind('interested')]).toEqual([
      'busy',
      'no-answer',
      'voicemail',
      'failed',
      'answer',
    ]);
    // A reduced run keeps the variety: the first six are six different kinds.
    expect(new Set(roster(6).map((c) => c.persona)).size).toBe(6);
  });

  it('redraws one line on a terminal and prints plain lines, only on change, elsewhere', () => {
    const tty = fakeStream(true);
    const v = progressView(tty.s);
    v.update(snap());
    v.update(snap({ elapsedSec: 4 }));
    v.done();
    expect(tty.writes[0]).toMatch(/^\r\x1b\[2K\[#{7}-{21}\] 1\/4 callees done/);
    expect(tty.writes.slice(0, 2).every((w) => !w.includes('\n') && w.length <= 2 + 4 + 80)).toBe(true);
    expect(tty.writes.at(-1)).toBe('\n');

    const pipe = fakeStream(false);
    const p = progressView(pipe.s);
    p.update(snap());
    p.update(snap({ elapsedSec: 4 })); // only the clock moved
    p.update(snap({ contactsDone: 2, elapsedSec: 5 }));
    p.done();
    expect(pipe.writes).toHaveLength(2);
    expect(pipe.writes.every((w) => w.startsWith('progress: [') && w.endsWith('\n') && !/\r|\x1b/.test(w))).toBe(true);
    expect(pipe.writes[1]).toContain('2/4 callees done');
  });

  it('reads --callees, --concurrency and --exit / DEMO_EXIT, and refuses nonsense with the usage', () => {
    expect(parseOptions([], {})).toMatchObject({ callees: 20, exit: false, maxConcurrentCalls: 10 });
    expect(parseOptions(['--callees', '6', '--exit'], {})).toMatchObject({ callees: 6, exit: true });
    expect(parseOptions([], { DEMO_EXIT: '1', DEMO_CALLEES: '3' })).toMatchObject({ callees: 3, exit: true });
    expect(() => parseOptions(['--callees', '0'], {})).toThrow(/--callees must be an integer from 1 to 200[\s\S]*usage/);
    expect(() => parseOptions(['--callees', 'many'], {})).toThrow(/--callees/);
    expect(() => parseOptions(['--bogus'], {})).toThrow(/bogus/);
  });
});
