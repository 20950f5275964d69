import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

/**
 * Starts a child whose output goes to .data/logs/<name>.log (and, for errors, to our stderr), in
 * its own process group so a stop reaches everything it started.
 */
export function startProcess(name: string, cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; logDir: string; echo?: boolean }): ManagedProcess {
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
        for (const line of d.toString().split('\n')) if (line && important.test(line) && !expected.test(line)) process.stderr.write(`[${name}] ${line}\n`);
      });
    }
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { name, child, exited };
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

export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number, died?: Promise<unknown>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead = false;
  const gone = () => (dead = true);
  died?.then(gone, gone);
  while (Date.now() < deadline) {
    if (dead) throw new Error(`${what} exited during start-up (see .data/logs)`);
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs / 1000}s (see .data/logs)`);
}

export const httpOk = (url: string) => async () => (await fetch(url, { signal: AbortSignal.timeout(1000) })).ok;
