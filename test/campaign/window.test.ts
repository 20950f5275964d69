import { describe, expect, it } from 'vitest';
import {
  CALL_WAITS_SEC,
  CampaignWindow,
  NOT_ATTEMPTED_BACKOFF_MS,
  PAGE_SIZE,
  leaseTtlSec,
  type DueAttempt,
} from '../../workflows/campaign/window';
import type { CallTerminalStatus } from '../../workflows/call/contract';
import type { CampaignInput, ContactToCall } from '../../workflows/campaign/contract';
import { testSettings } from './harness';

/** CampaignWindow alone: no Temporal, no database. */
const input = (over: Partial<CampaignInput> = {}): CampaignInput => ({
  campaignId: 'c1',
  accountId: 'a1',
  agentId: 'ag_x',
  settings: testSettings({ maxConcurrentCalls: 2 }),
  ...over,
});
const contacts = (n: number, from = 1): ContactToCall[] =>
  Array.from({ length: n }, (_, i) => ({
    contactId: `k${from + i}`,
    seq: from + i,
    phone: `+6012345${String(from + i).padStart(4, '0')}`,
    attempts: 0,
  }));
const result = (callId: string, status: CallTerminalStatus, chargedMicro = 0) => ({
  callId,
  status,
  durationSec: 0,
  chargedMicro,
  providerCostMicro: 0,
});

/** Takes what is due, "starts" each with call id `call-<contact>-<attempt>`, returns the ids. */
function startDue(w: CampaignWindow, now: number): string[] {
  if (w.needsPage()) w.addPage([]);
  const due = w.takeDue(w.freeSlots(), now);
  return due.map((d: DueAttempt) => {
    const id = `call-${d.contactId}-${d.attempt}`;
    w.reserve(id, { ...d, phone: d.phone ?? '+60111' }, now);
    w.started(d);
    return id;
  });
}

describe('CampaignWindow', () => {
  it('keeps at most maxConcurrentCalls in flight, takes contacts in order, and completes when all are reported', () => {
    const w = new CampaignWindow(input());
    w.addPage(contacts(3));
    expect(startDue(w, 0)).toEqual(['call-k1-1', 'call-k2-1']);
    expect(w.freeSlots()).toBe(0);
    w.report(result('call-k1-1', 'completed', 500), 10);
    w.report(result('call-k1-1', 'completed', 500), 11); // a duplicate report changes nothing
    expect(startDue(w, 20)).toEqual(['call-k3-1']);
    w.report(result('call-k2-1', 'completed', 700), 30);
    w.report(result('call-k3-1', 'completed', 0), 40);
    w.settleIfDone();
    expect(w.status).toBe('completed');
    expect(w.counters).toMatchObject({
      contactsDone: 3,
      attemptsStarted: 3,
      attemptsFinished: 3,
      chargedMicro: 1_200,
      byStatus: { completed: 3 },
    });
    expect(w.takeWrites()!.results.map((r) => [r.contactId, r.final])).toEqual([
      ['k1', true],
      ['k2', true],
      ['k3', true],
    ]);
  });

  it('retries statuses in retryOn after a doubling back-off, up to maxAttempts, with a new attempt number each time', () => {
    const w = new CampaignWindow(
      input({ settings: testSettings({ maxConcurrentCalls: 1, retry: { maxAttempts: 3, backoffSec: 10, retryOn: ['busy'] } }) }),
    );
    w.addPage(contacts(1));
    expect(startDue(w, 0)).toEqual(['call-k1-1']);
    w.report(result('call-k1-1', 'busy'), 1_000);
    expect(w.msUntilDue(1_000)).toBe(10_000);
    expect(startDue(w, 5_000)).toEqual([]); // not due yet
    expect(startDue(w, 11_000)).toEqual(['call-k1-2']);
    w.report(result('call-k1-2', 'busy'), 12_000);
    expect(w.msUntilDue(12_000)).toBe(20_000);
    expect(startDue(w, 32_000)).toEqual(['call-k1-3']);
    w.report(result('call-k1-3', 'busy'), 33_000);
    expect(w.msUntilDue(33_000)).toBeUndefined(); // third try was the last
    expect(w.counters.contactsDone).toBe(1);
  });

  it('a contact not attempted goes back to the queue without spending a try; suppressed is final', () => {
    const w = new CampaignWindow(
      input({ settings: testSettings({ maxConcurrentCalls: 2, retry: { maxAttempts: 1, backoffSec: 1, retryOn: ['busy'] } }) }),
    );
    w.addPage(contacts(2));
    startDue(w, 0);
    w.report(result('call-k1-1', 'not_attempted'), 100);
    w.report(result('call-k2-1', 'suppressed'), 100);
    expect(w.msUntilDue(100)).toBe(NOT_ATTEMPTED_BACKOFF_MS);
    const again = w.takeDue(2, 100 + NOT_ATTEMPTED_BACKOFF_MS);
    expect(again).toEqual([{ contactId: 'k1', attempt: 2, tries: 1 }]); // still its first try
    expect(w.counters.contactsDone).toBe(1);
    expect(w.takeWrites()!.results).toEqual([
      { contactId: 'k1', callId: 'call-k1-1', attempt: 1, status: 'not_attempted', final: false },
      { contactId: 'k2', callId: 'call-k2-1', attempt: 1, status: 'suppressed', final: true },
    ]);
  });

  it('insufficient credits pauses once, raises an alert, requeues the contact first; a balance that covers a call resumes it', () => {
    const w = new CampaignWindow(input());
    w.addPage(contacts(3));
    startDue(w, 0);
    w.report(result('call-k1-1', 'insufficient_credits'), 10);
    expect(w.control()).toEqual({ status: 'paused', pauseReason: 'insufficient_credits' });
    expect(w.alertPending).toBe(true);
    expect(w.creditCheckDue).toBe(true);
    expect(w.freeSlots()).toBe(0);
    w.creditsChecked(false); // the other call still holds credit
    expect(w.status).toBe('paused');
    w.report(result('call-k2-1', 'completed', 100), 20); // its settlement freed the hold
    expect(w.creditCheckDue).toBe(true);
    w.creditsChecked(true);
    expect(w.control()).toEqual({ status: 'running', pauseReason: null });
    expect(w.takeDue(2, 30).map((d) => [d.contactId, d.attempt, d.tries])).toEqual([
      ['k1', 2, 1],
      ['k3', 1, 1],
    ]);
  });

  it('a top-up wakes only a pause for credits; an operator pause is left alone', () => {
    const w = new CampaignWindow(input());
    w.pause('operator');
    w.creditsMayCover();
    expect(w.creditCheckDue).toBe(false);
    w.creditsChecked(true);
    expect(w.control()).toEqual({ status: 'paused', pauseReason: 'operator' });
  });

  it("stores the status until Postgres holds the workflow's: a pause that lands during a write is written next, in order", () => {
    const w = new CampaignWindow(input());
    const first = w.statusToStore()!;
    expect(first).toMatchObject({ status: 'running', pauseReason: null, seq: 1 });
    w.pause('lunch'); // arrives while `first` is being written
    w.statusStored(first);
    expect(w.hasWrites).toBe(true);
    const second = w.statusToStore()!;
    expect(second).toMatchObject({ status: 'paused', pauseReason: 'lunch', seq: 2 });
    w.statusStored(second);
    expect(w.hasWrites).toBe(false);
    // carried across continue-as-new: the next run knows what is stored and numbers on
    w.resume();
    const next = new CampaignWindow(input({ carry: w.carry() }));
    expect(next.statusToStore()).toMatchObject({ status: 'running', seq: 3 });
    w.cancel();
    expect(w.statusToStore()).toMatchObject({ status: 'running', pauseReason: 'canceling' });
  });

  it('carries no phone number and rewinds the cursor to the first contact read but not started', () => {
    const w = new CampaignWindow(input());
    w.addPage(contacts(PAGE_SIZE));
    const ids = startDue(w, 0);
    w.report(result(ids[0]!, 'busy'), 5); // queued for a retry
    const carry = w.carry();
    expect(JSON.stringify(carry)).not.toMatch(/\+6012345/);
    expect(carry.cursor).toBe(2);
    expect(carry.exhausted).toBe(false);
    expect(Object.keys(carry.inFlight)).toEqual([ids[1]]);
    expect(carry.queue).toEqual([{ contactId: 'k1', attempt: 2, tries: 2, notBeforeMs: 1_005 }]);
    // the queued retry has no number: the workflow looks it up; a contact without one ends
    const next = new CampaignWindow(input({ carry }));
    next.addPage([]);
    const [due] = next.takeDue(1, 2_000);
    expect(due).toEqual({ contactId: 'k1', attempt: 2, tries: 2 });
    next.dropContact(due!);
    expect(next.counters.contactsDone).toBe(1);
  });

  it('the in-flight check reports closed calls: a lost report by its result, a terminated run as failed, a missing run as not attempted', () => {
    const w = new CampaignWindow(
      input({ settings: testSettings({ maxConcurrentCalls: 3, retry: { maxAttempts: 1, backoffSec: 1, retryOn: [] } }) }),
    );
    w.addPage(contacts(3));
    const [a, b, c] = startDue(w, 0);
    expect(w.callsToCheck(50_000, 60_000)).toEqual([]);
    w.tick(60_000, 60_000);
    expect(w.checkCallsDue).toBe(true);
    expect(w.callsToCheck(60_000, 60_000)).toEqual([a, b, c]);
    w.checked(
      [
        { callId: a!, closed: true, result: result(a!, 'completed', 900) },
        { callId: b!, closed: true, result: { ...result(b!, 'failed'), error: 'call workflow terminated' } },
        { callId: c!, closed: true, result: result(c!, 'not_attempted') },
      ],
      60_000,
    );
    expect(w.checkCallsDue).toBe(false);
    expect(w.inFlightCount).toBe(0);
    expect(w.counters).toMatchObject({ contactsDone: 2, chargedMicro: 900 });
    expect(w.takeWrites()!.results.map((r) => [r.contactId, r.status, r.final])).toEqual([
      ['k1', 'completed', true],
      ['k2', 'failed', true],
      ['k3', 'not_attempted', false],
    ]);
  });

  it('leases outlive every wait a call can make, the 10-minute dialer backlog included', () => {
    const s = testSettings({ maxDurationSec: 600, ringTimeoutSec: 30 });
    // dial: 10 min in the backlog, then 8 attempts; ring + ring grace; the call; end grace; settlement
    const longest = 600 + 8 * 30 + s.ringTimeoutSec + 60 + s.maxDurationSec + 20;
    expect(leaseTtlSec(s)).toBeGreaterThan(longest);
    expect(leaseTtlSec(s, { ringGraceSec: 300, endGraceSec: 120 })).toBeGreaterThan(longest + 240 + 100);
    expect(CALL_WAITS_SEC.dialBacklog).toBe(600);
    expect(new CampaignWindow(input({ settings: s })).leaseTtlSec).toBe(leaseTtlSec(s));
  });

  it('cancel lets calls in flight finish and does not retry them', () => {
    const w = new CampaignWindow(input());
    w.addPage(contacts(3));
    const ids = startDue(w, 0);
    w.cancel();
    expect(w.freeSlots()).toBe(0);
    w.report(result(ids[0]!, 'busy'), 1);
    w.report(result(ids[1]!, 'insufficient_credits'), 1);
    expect(w.msUntilDue(1)).toBeUndefined();
    w.settleIfDone();
    expect(w.status).toBe('canceled');
    expect(() => w.assertLive()).toThrow(/canceled/);
  });
});
