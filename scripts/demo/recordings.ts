import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** WAV files under `dir` (the simulated callees write one per answered call), relative paths, sorted. */
export function findRecordings(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.toLowerCase().endsWith('.wav'))
    .map((f) => f.split(path.sep).join('/'))
    .sort();
}

/**
 * Waits (briefly) until every answered call's recording is there: the callee writes a call's WAV
 * just after the call ends, so the last ones can land a moment after the campaign completes.
 */
export async function awaitRecordings(dir: string, callSids: string[], timeoutMs = 5_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const files = findRecordings(dir);
    const have = new Set(files);
    if (callSids.every((sid) => have.has(`${sid}.wav`)) || Date.now() > deadline) return files;
    await new Promise((r) => setTimeout(r, 200));
  }
}
