import type { Stack } from '../scripts/dev/stack';
import type { Rng } from './random';

export interface KillEvent {
  target: string;
  at: number;
  downMs: number;
  restartedInMs: number;
}

export interface KillerOptions {
  targets: string[];
  rng: Rng;
  /** Pause between one restart and the next kill (ms). */
  intervalMs: [number, number];
  /** How long a killed process stays dead before it is started again (ms). */
  downMs: [number, number];
  /** Each target is killed this many times, then left alone (the run then shows it recovers). */
  killsPerTarget: number;
  log?: (line: string) => void;
}

export interface Killer {
  kills: KillEvent[];
  /** Resolves when every target has been killed `killsPerTarget` times (or the killer was stopped). */
  done: Promise<void>;
  /** Stops after the kill in progress (if any) has been restarted; every target is running after. */
  stop(): Promise<KillEvent[]>;
}

const alive = (p: { child: { exitCode: number | null; signalCode: NodeJS.Signals | null } }) =>
  p.child.exitCode === null && p.child.signalCode === null;

/** SIGKILLs the whole process group of `name` (the process and anything it started) and waits for it to go. */
export async function killProcess(stack: Stack, name: string): Promise<void> {
  const p = stack.processes.find((q) => q.name === name);
  if (!p || !alive(p)) return;
  try {
    process.kill(-p.child.pid!, 'SIGKILL');
  } catch {
    p.child.kill('SIGKILL');
  }
  await p.exited;
}

/**
 * Starts `name` again, and again if it dies during start-up: a process whose start needs Postgres
 * (the worker stores its price list) exits while the database is away, and comes up once it is back.
 */
export async function restartUntilUp(stack: Stack, name: string, log?: (line: string) => void): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await stack.restart(name);
      return;
    } catch (err) {
      if (attempt >= 120) throw err;
      if (attempt === 1) log?.(`${name} did not start (${(err as Error).message}); retrying every 2 s`);
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
}

/** Restarts any application process that is not running (a crash the driver did not cause included). */
export async function reviveAll(stack: Stack): Promise<string[]> {
  const revived: string[] = [];
  for (const name of stack.restartable) {
    const p = stack.processes.find((q) => q.name === name);
    if (p && !alive(p)) {
      await restartUntilUp(stack, name);
      revived.push(name);
    }
  }
  return revived;
}

/**
 * Kills a random target at a random moment, leaves it dead for a random while, restarts it (and
 * waits until it is ready), and repeats until each target was killed `killsPerTarget` times. The target is drawn among those killed least so far, so every target is
 * killed several times in a long enough run; the moments and down times come from the seeded rng.
 */
export function startKiller(stack: Stack, o: KillerOptions): Killer {
  const kills: KillEvent[] = [];
  const counts = new Map(o.targets.map((t) => [t, 0]));
  let stopping = false;
  let wake: () => void = () => {};
  const sleep = (ms: number) =>
    new Promise<void>((r) => {
      const t = setTimeout(r, ms);
      wake = () => (clearTimeout(t), r());
    });
  const loop = (async () => {
    while (!stopping) {
      const left = o.targets.filter((t) => counts.get(t)! < o.killsPerTarget);
      if (!left.length) break;
      await sleep(o.rng.int(...o.intervalMs));
      if (stopping) break;
      const least = Math.min(...left.map((t) => counts.get(t)!));
      const target = o.rng.pick(left.filter((t) => counts.get(t)! <= least + 1));
      const downMs = o.rng.int(...o.downMs);
      const at = Date.now();
      await killProcess(stack, target);
      o.log?.(`killed ${target} (SIGKILL), down for ${downMs} ms`);
      await new Promise((r) => setTimeout(r, downMs));
      const t0 = Date.now();
      await restartUntilUp(stack, target, o.log);
      counts.set(target, counts.get(target)! + 1);
      kills.push({ target, at, downMs, restartedInMs: Date.now() - t0 });
    }
  })();
  return {
    kills,
    done: loop,
    async stop() {
      stopping = true;
      wake();
      await loop;
      await reviveAll(stack);
      return kills;
    },
  };
}

export function killCounts(kills: KillEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of kills) out[k.target] = (out[k.target] ?? 0) + 1;
  return out;
}
