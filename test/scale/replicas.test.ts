import { describe, expect, it, inject } from 'vitest';
import path from 'node:path';
import { startChaosStack } from '../../chaos/stack';
import { createRng } from '../../chaos/random';
import { ApiClient, createCampaigns, createTenants, startCampaigns } from '../../chaos/workload';
import { checkInvariants, formatReport, waitForCampaigns } from '../../chaos/invariants';
import { haproxyStats } from '../../scripts/dev/haproxy';

/**
 * `npm run dev -- --replicas 2`'s topology (scripts/dev/stack.ts): two APIs, two orchestrator
 * workers, two dialers and two media gateways, HAProxy in front of the APIs and the gateways. The
 * driver and the Twilio simulator only know HAProxy's two ports (the API's callbacks and the
 * Media Streams WebSocket go through it); the calls complete with every invariant holding, and
 * both instances of each balanced service carried part of the traffic.
 */
describe('replicated topology behind HAProxy', () => {
  it('runs campaigns through two of each process with the load spread and every invariant kept', async () => {
    const cs = await startChaosStack({
      replicas: 2,
      databaseServerUrl: inject('databaseUrl'),
      env: { DIALER_CALLS_PER_SECOND: '5' },
    });
    try {
      const kinds = cs.stack.instances.map((i) => i.name).sort();
      expect(kinds).toEqual([
        'api-1',
        'api-2',
        'dialer-1',
        'dialer-2',
        'media-gateway-1',
        'media-gateway-2',
        'worker-1',
        'worker-2',
      ]);
      // What Twilio is told to call back and stream to is HAProxy, not an instance.
      const balancerPorts = [cs.stack.config.API_PORT, cs.stack.config.MEDIA_GATEWAY_PORT];
      expect(new URL(cs.stack.env.APP_ORIGIN!).port).toBe(String(balancerPorts[0]));
      expect(new URL(cs.stack.env.MEDIA_PUBLIC_URL!).port).toBe(String(balancerPorts[1]));
      for (const i of cs.stack.instances) if (i.port) expect(balancerPorts).not.toContain(i.port);

      const api = new ApiClient(cs.apiUrl);
      const rng = createRng(18);
      const w = {
        accounts: 2,
        calls: 16,
        rng,
        maxConcurrentCalls: 4,
        mix: { answer: 70, voicemail: 10, busy: 10, 'no-answer': 0, failed: 10 },
      };
      const tenants = await createCampaigns(api, cs.twilio, await createTenants(api, cs.adminKey, w), w);
      await startCampaigns(api, tenants);
      const campaignIds = tenants.map((t) => t.campaignId);
      expect(await waitForCampaigns(cs.sql, campaignIds, 240_000)).toBe(true);
      const report = await checkInvariants({
        sql: cs.sql,
        temporal: cs.temporal,
        twilio: cs.twilio,
        accountIds: tenants.map((t) => t.accountId),
        campaignIds,
      });
      expect(report.violations, formatReport(report)).toBe(0);
      expect(report.statuses.completed ?? 0).toBeGreaterThan(2);

      const stats = await haproxyStats(path.join(cs.dataDir, 'haproxy.sock'));
      const of = (backend: string) => stats.filter((s) => s.backend === backend);
      expect(
        of('api')
          .map((s) => s.server)
          .sort(),
      ).toEqual(['api-1', 'api-2']);
      expect(
        of('media')
          .map((s) => s.server)
          .sort(),
      ).toEqual(['media-gateway-1', 'media-gateway-2']);
      for (const s of [...of('api'), ...of('media')]) {
        expect(s.status, JSON.stringify(s)).toBe('UP');
        expect(s.sessions, `${s.server} was given no traffic: ${JSON.stringify(stats)}`).toBeGreaterThan(0);
      }
      // Every answered call's media went through the balancer's WebSocket tunnel.
      const answered = await cs.sql<
        { n: number }[]
      >`select count(*)::int as n from calls where campaign_id = any(${campaignIds}::uuid[]) and status in ('completed', 'voicemail')`;
      expect(of('media').reduce((n, s) => n + s.sessions, 0)).toBeGreaterThanOrEqual(
        answered[0]!.n - (report.statuses.voicemail ?? 0),
      );
    } finally {
      await cs.close();
    }
  }, 400_000);
});
