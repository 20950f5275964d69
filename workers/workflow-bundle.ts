import { fileURLToPath } from 'node:url';

/** Path of the workflows entry the worker bundles (webpack via the Temporal SDK). */
export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
