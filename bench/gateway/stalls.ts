import { openSync, readSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/**
 * Event-loop stalls of this process's main thread, split by what the kernel says the thread was
 * doing meanwhile (/proc/<pid>/task/<pid>/schedstat: ns on a CPU, ns runnable but waiting for one).
 * A stall that is mostly waiting was other threads holding both cores (the box's other processes,
 * or this process's own GC helpers), not this thread's work.
 */
export class StallMeter {
  // One open file read at offset 0 each tick: cheaper than readFileSync's open/read/close, and the
  // meter runs in the processes it measures (the gateway and the relay alike, so the CPU ratio is fair).
  private readonly fd = openSync(`/proc/${process.pid}/task/${process.pid}/schedstat`, 'r');
  private readonly buf = Buffer.alloc(128);
  private last = this.sample();
  /** Every stall since the start (BENCH_STALL_LOG lists them with the GC pauses inside). */
  readonly log: { at: number; ms: number; cpuMs: number; waitMs: number }[] = [];
  /** How much of `log` take() has already reported. */
  private taken = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly thresholdMs = 20,
    periodMs = 10,
  ) {
    this.timer = setInterval(() => this.tick(), periodMs);
    this.timer.unref();
  }

  private sample() {
    const n = readSync(this.fd, this.buf, 0, this.buf.length, 0);
    const [cpu, wait] = this.buf.toString('latin1', 0, n).split(' ').map(Number);
    return { at: performance.now(), cpuMs: cpu! / 1e6, waitMs: wait! / 1e6 };
  }

  private tick() {
    const s = this.sample();
    const ms = s.at - this.last.at;
    if (ms >= this.thresholdMs)
      this.log.push({ at: this.last.at, ms, cpuMs: s.cpuMs - this.last.cpuMs, waitMs: s.waitMs - this.last.waitMs });
    this.last = s;
  }

  /** Stalls since the last call, summed. */
  take() {
    const xs = this.log.slice(this.taken);
    this.taken = this.log.length;
    const sum = (k: 'ms' | 'cpuMs' | 'waitMs') => xs.reduce((n, x) => n + x[k], 0);
    return {
      thresholdMs: this.thresholdMs,
      count: xs.length,
      ms: sum('ms'),
      cpuMs: sum('cpuMs'),
      waitMs: sum('waitMs'),
      maxMs: Math.max(0, ...xs.map((x) => x.ms)),
    };
  }

  static describe(s: ReturnType<StallMeter['take']>) {
    return s.count === 0
      ? 'no stall'
      : `${s.count} stalls ≥ ${s.thresholdMs} ms (longest ${s.maxMs.toFixed(0)}), ${s.ms.toFixed(0)} ms in all: on a CPU ${s.cpuMs.toFixed(0)} ms, waiting for one ${s.waitMs.toFixed(0)} ms`;
  }
}
