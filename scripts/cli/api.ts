/**
 * `npm run cli -- api …`: a client's view, over the public API with the typed client generated
 * from the contract (client/). AICALL_API_URL (default http://127.0.0.1:3000) and AICALL_API_KEY,
 * or --url and --key.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ApiError, createAicallClient, ok } from '../../client';

export const apiUsage = `  npm run cli -- api credits
  npm run cli -- api topup --amount SEN
  npm run cli -- api campaigns list
  npm run cli -- api campaigns show|start|resume|cancel CAMPAIGN_ID
  npm run cli -- api campaigns pause CAMPAIGN_ID [--reason TEXT]
  npm run cli -- api contacts upload CAMPAIGN_ID FILE.csv
  npm run cli -- api calls list CAMPAIGN_ID [--status STATUS]
  npm run cli -- api calls show CALL_ID
  (AICALL_API_URL, default http://127.0.0.1:3000, and AICALL_API_KEY; or --url and --key)`;

class UsageError extends Error {}

/** Runs one command; resolves to the process exit code (0 ok, 1 the API refused, 2 usage). */
export async function runApiCommand(
  argv: string[],
  out: (s: string) => void = console.log,
  err: (s: string) => void = console.error,
): Promise<number> {
  try {
    const { positionals, values } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        key: { type: 'string' },
        amount: { type: 'string' },
        reason: { type: 'string' },
        status: { type: 'string' },
      },
    });
    const key = values.key ?? process.env.AICALL_API_KEY;
    if (!key) throw new UsageError('an API key is required: AICALL_API_KEY or --key');
    const api = createAicallClient(values.url ?? process.env.AICALL_API_URL ?? 'http://127.0.0.1:3000', key);
    const [noun, verb, arg, file] = positionals;
    const need = (v: string | undefined, what: string) =>
      v ??
      (() => {
        throw new UsageError(`${what} is required`);
      })();
    const id = () => ({ params: { path: { id: need(arg, 'the id') } } });
    const print = (v: unknown) => out(JSON.stringify(v, null, 2));

    if (noun === 'credits' && !verb) print(await ok(api.GET('/v1/credits')));
    else if (noun === 'topup' && !verb) {
      const amount = Number(need(values.amount, '--amount SEN'));
      if (!Number.isInteger(amount) || amount < 1) throw new UsageError('--amount must be a whole number of sen');
      print(await ok(api.POST('/v1/credits/topups', { body: { amount } })));
    } else if (noun === 'campaigns' && verb === 'list') {
      for (const c of (await ok(api.GET('/v1/campaigns'))).campaigns)
        out(`${c.id}  ${c.status.padEnd(9)}  ${c.contactCount} contacts  ${c.name}`);
    } else if (noun === 'campaigns' && verb === 'show') print(await ok(api.GET('/v1/campaigns/{id}', id())));
    else if (noun === 'campaigns' && verb === 'start') print(await ok(api.POST('/v1/campaigns/{id}/start', id())));
    else if (noun === 'campaigns' && verb === 'pause')
      print(await ok(api.POST('/v1/campaigns/{id}/pause', { ...id(), body: values.reason ? { reason: values.reason } : {} })));
    else if (noun === 'campaigns' && verb === 'resume') print(await ok(api.POST('/v1/campaigns/{id}/resume', id())));
    else if (noun === 'campaigns' && verb === 'cancel') print(await ok(api.POST('/v1/campaigns/{id}/cancel', id())));
    else if (noun === 'contacts' && verb === 'upload') {
      const csv = await readFile(need(file, 'FILE.csv'), 'utf8');
      print(
        await ok(
          api.POST('/v1/campaigns/{id}/contacts', {
            ...id(),
            // the contract's text/csv body: sent as it is, not JSON-encoded
            body: csv as never,
            bodySerializer: (b: unknown) => b as string,
            headers: { 'content-type': 'text/csv' },
          }),
        ),
      );
    } else if (noun === 'calls' && verb === 'list') {
      let cursor: string | undefined;
      do {
        const page = await ok(
          api.GET('/v1/campaigns/{id}/calls', {
            params: {
              path: { id: need(arg, 'CAMPAIGN_ID') },
              query: { limit: 500, ...(cursor ? { cursor } : {}), ...(values.status ? { status: values.status } : {}) },
            },
          }),
        );
        for (const c of page.calls)
          out(
            `${c.id}  ${c.status.padEnd(12)}  ${c.to}  attempt ${c.attempt}  ${c.durationSec ?? '-'} s  ${c.chargedMicro ?? 0} micro`,
          );
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    } else if (noun === 'calls' && verb === 'show') print(await ok(api.GET('/v1/calls/{id}', id())));
    else throw new UsageError(noun ? `unknown command: api ${positionals.join(' ')}` : 'no command');
    return 0;
  } catch (e) {
    if (e instanceof ApiError) {
      err(`the API answered ${e.status}: ${(e.body as { message?: string } | undefined)?.message ?? e.message}`);
      return 1;
    }
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      err(`${(e as Error).message}\n\nusage:\n${apiUsage}`);
      return 2;
    }
    throw e;
  }
}
