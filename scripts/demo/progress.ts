import { usd } from './format';

export interface ProgressSnapshot {
  elapsedSec: number;
  contactsDone: number;
  contactsTotal: number;
  inFlight: number;
  callsFinished: number;
  byStatus: Record<string, number>;
  spentMicro: number;
  availableMicro: number;
  heldMicro: number;
}

export interface ProgressView {
  update(s: ProgressSnapshot): void;
  /** Leaves the last state on screen and moves to a fresh line. */
  done(): void;
}

const BAR = 28;

function bar(done: number, total: number): string {
  const filled = total ? Math.round((done / total) * BAR) : 0;
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR - filled)}]`;
}

function statusList(byStatus: Record<string, number>): string {
  return Object.entries(byStatus)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

export function describe(s: ProgressSnapshot): string {
  return (
    `${bar(s.contactsDone, s.contactsTotal)} ${s.contactsDone}/${s.contactsTotal} callees done · ${s.inFlight} in flight · ` +
    `calls ended: ${s.callsFinished}${s.callsFinished ? ` (${statusList(s.byStatus)})` : ''} · spent ${usd(s.spentMicro, 4)} · ` +
    `balance ${usd(s.availableMicro, 2)} (${usd(s.heldMicro, 2)} held) · ${s.elapsedSec.toFixed(0)}s`
  );
}

/**
 * On a terminal: one line redrawn in place (cut to the terminal's width so it never wraps). Not a
 * terminal (CI, a pipe, a log file): a plain line whenever the numbers change, and at most one
 * every few seconds while they do not, so a log stays readable.
 */
export function progressView(out: NodeJS.WriteStream = process.stdout): ProgressView {
  const tty = !!out.isTTY;
  let lastLine = '';
  let lastKey = '';
  let lastPrintMs = 0;
  return {
    update(s) {
      const line = describe(s);
      if (tty) {
        const width = out.columns || 120;
        const shown = line.length >= width ? `${line.slice(0, width - 2)}…` : line;
        out.write(`\r\x1b[2K${shown}`);
        lastLine = shown;
        return;
      }
      // Time moves every tick; only the figures decide whether the line is news.
      const key = line.replace(/ · \d+s$/, '');
      if (key === lastKey && Date.now() - lastPrintMs < 10_000) return;
      lastKey = key;
      lastPrintMs = Date.now();
      out.write(`progress: ${line}\n`);
    },
    done() {
      if (tty && lastLine) out.write('\n');
    },
  };
}
