/**
 * Operators' CLI (talks to Postgres directly; DATABASE_URL as everywhere):
 *   npm run cli -- accounts create --name "Acme" [--email ops@acme.example] [--max-concurrent 20]
 *   npm run cli -- accounts list
 *   npm run cli -- keys issue --account <accountId> [--role client|admin] [--label prod]
 *   npm run cli -- keys issue --platform-admin [--label ops]
 *   npm run cli -- keys revoke <keyId>
 * and, as a client over the public API (scripts/cli/api.ts): npm run cli -- api …
 *   npm run cli -- users create-admin --email ops@example.com     # console platform admin; prints a set-password link
 *   npm run cli -- users invite --account <accountId> --email a@b.example [--role owner|member]
 *   npm run cli -- users login-link --email a@b.example           # one-time sign-in link (15 minutes)
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config';
import { createSql } from '../lib/db';
import { createAccount, getAccount, issueKey, listAccounts, revokeKey } from '../lib/accounts';
import { apiUsage, runApiCommand } from './cli/api';

import { consoleUserLink } from '../api/console/cli';

// `api …` commands talk HTTP to a running API, not to Postgres
if (process.argv[2] === 'api') process.exit(await runApiCommand(process.argv.slice(3)));

const usage = `usage:
  npm run cli -- accounts create --name NAME [--email EMAIL] [--max-concurrent N]
  npm run cli -- accounts list
  npm run cli -- keys issue --account ACCOUNT_ID [--role client|admin] [--label LABEL]
  npm run cli -- keys issue --platform-admin [--label LABEL]
  npm run cli -- keys revoke KEY_ID
  npm run cli -- users create-admin --email EMAIL
  npm run cli -- users invite --account ACCOUNT_ID --email EMAIL [--role owner|member]
  npm run cli -- users login-link --email EMAIL
${apiUsage}`;

const fail = (msg: string): never => {
  console.error(`${msg}\n\n${usage}`);
  process.exit(2);
};

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    name: { type: 'string' },
    email: { type: 'string' },
    'max-concurrent': { type: 'string' },
    account: { type: 'string' },
    role: { type: 'string' },
    label: { type: 'string' },
    'platform-admin': { type: 'boolean' },
  },
});
const [noun, verb, arg] = positionals;
const sql = createSql(loadConfig().DATABASE_URL, { max: 1, debugName: 'aicall-cli' });
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
try {
  if (noun === 'accounts' && verb === 'create') {
    if (!values.name) fail('--name is required');
    const max = values['max-concurrent'] ? Number(values['max-concurrent']) : undefined;
    if (max !== undefined && (!Number.isInteger(max) || max < 1)) fail('--max-concurrent must be a positive integer');
    const a = await createAccount(sql, { name: values.name!, billingEmail: values.email, maxConcurrentCalls: max });
    console.log(JSON.stringify(a, null, 2));
  } else if (noun === 'accounts' && verb === 'list') {
    for (const a of await listAccounts(sql, { limit: 500 })) console.log(`${a.id}  ${a.name}  ${a.status}`);
  } else if (noun === 'keys' && verb === 'issue') {
    const role = (values.role ?? (values['platform-admin'] ? 'admin' : 'client')) as 'client' | 'admin';
    if (role !== 'client' && role !== 'admin') fail('--role must be client or admin');
    let accountId: string | null = null;
    if (values['platform-admin']) {
      if (role !== 'admin') fail('--platform-admin keys are admin keys');
    } else {
      if (!values.account || !uuid.test(values.account)) fail('--account ACCOUNT_ID (a UUID) is required');
      if (!(await getAccount(sql, values.account!))) fail(`no account ${values.account}`);
      accountId = values.account!;
    }
    const k = await issueKey(sql, { accountId, role, label: values.label });
    console.log(
      `key id: ${k.id}\nrole:   ${k.role}\nkey:    ${k.key}\n\nThe key is shown once and stored only as a hash: copy it now.`,
    );
  } else if (noun === 'keys' && verb === 'revoke') {
    if (!arg || !uuid.test(arg)) fail('KEY_ID (a UUID) is required');
    const was = await revokeKey(sql, arg!);
    if (was === undefined) fail(`no key ${arg}`);
    console.log(was ? `revoked ${arg}` : `${arg} was already revoked`);
  } else if (noun === 'users' && (verb === 'create-admin' || verb === 'invite' || verb === 'login-link')) {
    const config = loadConfig();
    console.log(
      await consoleUserLink(sql, config, verb, { email: values.email, account: values.account, role: values.role }).catch(
        (err: Error) => fail(err.message),
      ),
    );
  } else {
    fail(noun ? `unknown command: ${positionals.join(' ')}` : 'no command');
  }
} finally {
  await sql.end({ timeout: 2 });
}
