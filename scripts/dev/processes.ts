import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

/**
 * Every process started here and not yet exited, so a stop at any moment (a signal during start-up
 * included) reaches all of them: each lives in its own process group, so a terminal's Ctrl-C or a
 * SIGTERM to the parent never reaches them by itself.
 */
const live = new Set<ManagedProcess>();
let refusing = false;

/** Stops every live process (newest first) and refuses to start any more from now on. */
export async function stopAllProcesses(graceMs?: number): Promise<void> {
  refusing = true;
  await Promise.all([...live].reverse().map((p) => stopProcess(p, graceMs)));
}

/**
 * Installs SIGINT/SIGTERM handlers at once, before anything is started: the first signal runs
 * `onStop` (the stack's own stop and a message, when there is one), stops every process this script
 * started whatever start-up step it is at, and exits 0. A further SIGTERM kills what is left without
 * waiting; a further SIGINT is ignored (a terminal's Ctrl-C reaches npm, tsx and us alike).
 */
export function stopOnSignals(onStop: (why: string) => Promise<void> | void = () => {}): void {
  let stopping = false;
  const handler = (sig: NodeJS.Signals) => {
    if (stopping) {
      if (sig === 'SIGINT') return;
      for (const p of live) signalGroup(p, 'SIGKILL');
      process.exit(1);
    }
    stopping = true;
    void (async () => {
      try {
        await onStop(sig === 'SIGINT' ? 'Ctrl-C' : sig);
      } catch {
        // whatever onStop could not stop, stopAllProcesses does
      } finally {
        await stopAllProcesses();
        process.exit(0);
      }
    })();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

function signalGroup(p: ManagedProcess, sig: NodeJS.Signals): boolean {
  try {
    process.kill(-p.child.pid!, sig);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts a child whose output goes to .data/logs/<name>.log (and, for errors, to our stderr), in
 * its own process group so a stop reaches everything it started.
 */
export function startProcess(
  name: string,
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; logDir: string; echo?: boolean },
): ManagedProcess {
  if (refusing) throw new Error(`stopping: ${name} not started`);
  mkdirSync(opts.logDir, { recursive: true });
  const log = createWriteStream(path.join(opts.logDir, `${name}.log`), { flags: 'a' });
  const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  // Two sources into one file: neither may end it (the other's last lines would be a write after
  // end, an unhandled error that crashed `npm run dev` on Ctrl-C); it ends when both are done.
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  child.once('close', () => log.end());
  if (opts.echo) {
    // The full logs are in the file; the terminal only gets warnings and errors.
    const important = /"level":(40|50|60)|\b(WARN|ERROR|FATAL)\b|Error:/;
    // The dialer runs activities only by design; the SDK's warning about it is not news.
    const expected = /No workflows registered, not polling for workflow tasks/;
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.on('data', (d: Buffer) => {
        for (const line of d.toString().split('\n'))
          if (line && important.test(line) && !expected.test(line)) process.stderr.write(`[${name}] ${line}\n`);
      });
    }
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const managed = { name, child, exited };
  live.add(managed);
  void exited.then(() => live.delete(managed));
  return managed;
}

/** SIGTERM the process group, SIGKILL it after `graceMs`. */
export async function stopProcess(p: ManagedProcess, graceMs = 8000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const pgid = p.child.pid!;
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {}
  }, graceMs);
  await p.exited;
  clearTimeout(timer);
  // Whatever the child left behind in its group goes too.
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {}
}

export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  died?: Promise<unknown>,
  /** The process's log: its last lines go into the error, so a failed start says why even when the data dir is gone. */
  logFile?: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead = false;
  const gone = () => (dead = true);
  died?.then(gone, gone);
  while (Date.now() < deadline) {
    if (dead) throw new Error(`${what} exited during start-up (see .data/logs)${logTail(logFile)}`);
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs / 1000}s (see .data/logs)`);
}

export const httpOk = (url: string) => async () => (await fetch(url, { signal: AbortSignal.timeout(1000) })).ok;

/** The last lines of a log file, indented, for an error message; empty when there is none. */
function logTail(file: string | undefined, lines = 15): string {
  if (!file) return '';
  try {
    const tail = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines);
    return tail.length ? `\n${tail.map((l) => `  | ${l}`).join('\n')}` : '';
  } catch {
    return '';
  }
}
