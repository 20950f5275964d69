import { readdir, readFile } from 'node:fs/promises';

/** PIDs of live processes whose environment carries `marker` (children inherit it). */
export async function processesWithMarker(marker: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = await readFile(`/proc/${entry}/environ`, 'latin1');
      const stat = await readFile(`/proc/${entry}/stat`, 'latin1');
      if (env.includes(marker) && !/\) Z /.test(stat)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}
