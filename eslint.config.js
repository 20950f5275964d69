// @ts-check
/**
 * Lint: typescript-eslint over the whole tree, for what the compiler cannot say (`npm run lint`,
 * run by .ci/run after typecheck). Three things only, each a rule of the design:
 * - no promise left floating (a lost rejection, or a workflow step that silently never ran);
 * - workflow code stays deterministic: no Node built-in and no Temporal client/worker/activity
 *   package in workflows/ (as the Temporal TypeScript samples' lint config does);
 * - imports point down: lib imports nothing above it; a workflow reaches another workflow only
 *   through its contract (and the call's pure visibility helpers), activities only by type; the
 *   media gateway reaches workflows through `workflows/<name>/contract` only.
 */
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const up = (dirs) => `^(\\.\\./)+(${dirs.join('|')})(/|$)`;
const nodeBuiltins = builtinModules.filter((m) => !m.startsWith('_')).flatMap((m) => [m, `node:${m}`]);

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', '.venv/**', 'dist/**', 'coverage/**', '**/workflow-bundle-*.js'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'Workflow code is deterministic and sandboxed: no Node built-ins (do it in an activity).',
          })),
          patterns: [
            {
              regex: '^@temporalio/(client|worker|activity|testing)$',
              message: 'Workflow code imports @temporalio/workflow (and common) only.',
            },
            {
              regex: up(['api', 'media-gateway', 'workers', 'providers', 'sim', 'scripts', 'chaos', 'bench', 'test']),
              message: 'Workflows do not reach into processes, vendors or tests.',
            },
            {
              regex: '^\\.\\./[^./][^/]*/(?!contract$|visibility$)[^/]+$',
              message: 'Another workflow is reached through its contract only.',
            },
            {
              regex: `${up(['activities'])}(?!.*/types$)`,
              allowTypeImports: true,
              message: 'Workflows name activities by type (proxyActivities<…>), never import their code.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['media-gateway/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+workflows/(?![^/]+/contract$)',
              message: 'The media gateway talks to workflows through workflows/<name>/contract only.',
            },
            {
              regex: up(['activities', 'api', 'workers', 'sim', 'scripts', 'chaos', 'bench', 'test']),
              message: 'The media gateway is its own process: contracts, lib and providers only.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['lib/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: up([
                'api',
                'workflows',
                'activities',
                'media-gateway',
                'workers',
                'providers',
                'sim',
                'scripts',
                'chaos',
                'bench',
                'test',
              ]),
              message: 'lib is the bottom layer: it imports nothing above it.',
            },
          ],
        },
      ],
    },
  },
  {
    // From the calls branch (agents by reference): it names the call contract's AgentConfig type.
    // To resolve at merge: AgentConfig moves into lib/agents and the contract re-exports it.
    files: ['lib/agents/store.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: up(['workflows']), allowTypeImports: true, message: 'Type only, until AgentConfig moves into lib/agents.' },
          ],
        },
      ],
    },
  },
);
