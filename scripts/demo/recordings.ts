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
