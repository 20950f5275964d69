/**
 * The campaign's state and rules, free of Temporal (design: Campaign). campaignWorkflow owns one
 * CampaignWindow, hands every signal, update and activity result to it, and asks it what to do
 * next; everything here is plain data and arithmetic, unit-tested in test/campaign/window.test.ts.
 *
 * - in flight: the calls started and not yet reported (call id → contact, attempt, start time);
 * - the queue: attempts owed to contacts already dialed (retries after a back-off, calls refused
 *   for credits, calls never attempted), by contact id only: no phone number is carried;
 * - paging: the buffer of contacts read from Postgres but not yet started, behind a seq cursor;
 * - pacing: at most maxConcurrentCalls in flight, and the lease each call takes on the account's
 *   concurrency, sized to outlive every wait the call can make;
 * - the status the workflow has and the one Postgres holds, until they agree.
 */
import type { CallResult } from '../call/contract';
import type {
  CallCheck,
  CallFinished,
  CampaignCarry,
  CampaignControlResult,
  CampaignCounters,
  CampaignInput,
  CampaignProgress,
  CampaignSettings,
  CampaignStatus,
  ContactResult,
  ContactToCall,
  InFlightCall,
  QueuedAttempt,
} from './contract';

/** Contacts read per page. */
export const PAGE_SIZE = 200;
/** Calls per run before continue-as-new, unless the input says otherwise. */
export const DEFAULT_CALLS_PER_RUN = 300;
/** How often in-flight calls are checked (closed without a report? lease renewed) and a credit pause re-checked. */
export const DEFAULT_CHECK_EVERY_SEC = 120;
/** How long to wait before asking again when the account's concurrent-call limit is reached. */
export const SLOT_POLL_MS = 3_000;
/** A call that never reached the provider goes back to the queue after this long (a database or network outage). */
export const NOT_ATTEMPTED_BACKOFF_MS = 30_000;

/**
 * Every wait a call can make before it reports, in seconds (workflows/call: dial options, default
 * grace periods), so the lease sized from them outlives the call: a dial can sit 10 minutes in the
 * dialer queue's backlog, then retry up to 8 times (30 s each, back-off capped at 20 s); the bell
 * rings ringTimeoutSec plus the ring grace; the call lasts up to maxDurationSec; then the end grace
 * and the settlement. The periodic check renews the lease of every call still running as well.
 */
export const CALL_WAITS_SEC = {
  dialBacklog: 600,
  dialAttempts: 8 * 30 + 1 + 2 + 4 + 8 + 16 + 20 + 20,
  ringGrace: 60,
  endGrace: 20,
  settle: 300,
};

export function leaseTtlSec(
  s: Pick<CampaignSettings, 'maxDurationSec' | 'ringTimeoutSec'>,
  timeouts?: CampaignInput['callTimeouts'],
): number {
  const w = CALL_WAITS_SEC;
  return (
    w.dialBacklog +
    w.dialAttempts +
    s.ringTimeoutSec +
    Math.max(w.ringGrace, timeouts?.ringGraceSec ?? 0) +
    s.maxDurationSec +
    Math.max(w.endGrace, timeouts?.endGraceSec ?? 0) +
    w.settle
  );
}

/** An attempt ready to start: the phone is known for contacts from a page, looked up for queued ones. */
export interface DueAttempt {
  contactId: string;
  attempt: number;
  /** attempts counted against the retry policy, this one included */
  tries: number;
  phone?: string;
  /** the contact's position, for first attempts (the cursor rewinds to it at continue-as-new) */
  seq?: number;
}

/** What Postgres should hold for the campaign's status; `seq` orders the writes. */
export interface StatusWrite {
  status: 'running' | 'paused' | 'completed' | 'canceled';
  pauseReason: string | null;
  seq: number;
}

const statusKey = (w: Omit<StatusWrite, 'seq'>) => `${w.status}:${w.pauseReason ?? ''}`;
const newCounters = (): CampaignCounters => ({
  contactsDone: 0,
  attemptsStarted: 0,
  attemptsFinished: 0,
  byStatus: {},
  chargedMicro: 0,
});

export class CampaignWindow {
  status: CampaignStatus;
  pauseReason: string | null;
  /** Bumped by every change a waiting workflow may care about. */
  version = 0;
  waitingForWindow = false;
  /** Set by the periodic tick, cleared when acted on. */
  checkCallsDue = false;
  creditCheckDue = false;
  alertPending = false;

  private cursor: number;
  private exhausted: boolean;
  private buffer: ContactToCall[] = [];
  private readonly queue: QueuedAttempt[];
  private readonly inFlight: Map<string, InFlightCall>;
  readonly counters: CampaignCounters;
  private readonly generation: number;
  private callsThisRun = 0;
  private windowOpenUntilMs = 0;
  private results: ContactResult[] = [];
  private startedWrites: { contactId: string; attempt: number }[] = [];
  /** The status Postgres is known to hold (null: not written by this campaign yet) and the last write's seq. */
  private stored: string | null;
  private statusSeq: number;

  constructor(private readonly input: CampaignInput) {
    const c = input.carry;
    this.status = c?.status ?? 'running';
    this.pauseReason = c?.pauseReason ?? null;
    this.cursor = c?.cursor ?? 0;
    this.exhausted = c?.exhausted ?? false;
    this.queue = [...(c?.queue ?? [])];
    this.inFlight = new Map(Object.entries(c?.inFlight ?? {}));
    this.counters = c ? structuredCloneCounters(c.counters) : newCounters();
    this.generation = c?.generation ?? 0;
    this.stored = c?.storedStatus ?? null;
    this.statusSeq = c?.statusSeq ?? 0;
    if (this.status === 'paused' && this.pauseReason === 'insufficient_credits') this.creditCheckDue = true;
  }

  private get s(): CampaignSettings {
    return this.input.settings;
  }

  get finished(): boolean {
    return this.status === 'completed' || this.status === 'canceled';
  }
  get inFlightCount(): number {
    return this.inFlight.size;
  }
  get pausedForCredits(): boolean {
    return this.status === 'paused' && this.pauseReason === 'insufficient_credits';
  }
  get leaseTtlSec(): number {
    return leaseTtlSec(this.s, this.input.callTimeouts);
  }

  // ── control (updates) ──────────────────────────────────────────────────────────────────────

  /** Update validator: a finished campaign takes no more control. */
  assertLive(): void {
    if (this.finished) throw new Error(`campaign is ${this.status}`);
  }
  pause(reason: string): CampaignControlResult {
    if (this.status === 'running') this.setStatus('paused', reason);
    return this.control();
  }
  resume(): CampaignControlResult {
    if (this.status === 'paused') this.setStatus('running', null);
    return this.control();
  }
  cancel(): CampaignControlResult {
    if (this.status === 'running' || this.status === 'paused') this.setStatus('canceling', null);
    return this.control();
  }
  control(): CampaignControlResult {
    return { status: this.status, pauseReason: this.pauseReason };
  }
  private setStatus(status: CampaignStatus, reason: string | null) {
    this.status = status;
    this.pauseReason = reason;
    this.creditCheckDue = this.pausedForCredits;
    this.version++;
  }

  // ── reports ────────────────────────────────────────────────────────────────────────────────

  /** A call's report (its callFinished signal, or its result found by the check). Duplicates are ignored. */
  report(r: CallFinished | CallResult, nowMs: number): void {
    const f = this.inFlight.get(r.callId);
    if (!f) return;
    this.inFlight.delete(r.callId);
    this.version++;
    this.counters.attemptsFinished++;
    this.counters.byStatus[r.status] = (this.counters.byStatus[r.status] ?? 0) + 1;
    this.counters.chargedMicro += r.chargedMicro;
    const live = this.status !== 'canceling';
    const requeue = (notBeforeMs: number, tries: number, first: boolean) => {
      const q: QueuedAttempt = { contactId: f.contactId, attempt: f.attempt + 1, tries, notBeforeMs };
      if (first) this.queue.unshift(q);
      else this.queue.push(q);
      this.results.push({ contactId: f.contactId, callId: r.callId, attempt: f.attempt, status: r.status, final: false });
    };
    if (live && r.status === 'not_attempted') {
      // Never reached the provider: not an attempt against the retry policy; try again after a while.
      return requeue(nowMs + NOT_ATTEMPTED_BACKOFF_MS, f.tries, false);
    }
    if (live && r.status === 'insufficient_credits') {
      requeue(0, f.tries, true);
      if (this.status === 'running') {
        this.setStatus('paused', 'insufficient_credits');
        this.alertPending = true;
      }
      // Its hold is gone: a campaign already paused for credits may be able to go on.
      this.creditCheckDue = this.pausedForCredits;
      return;
    }
    const again = live && (this.s.retry.retryOn as string[]).includes(r.status) && f.tries < this.s.retry.maxAttempts;
    if (again) return requeue(nowMs + this.s.retry.backoffSec * 1000 * 2 ** (f.tries - 1), f.tries + 1, false);
    this.counters.contactsDone++;
    this.results.push({ contactId: f.contactId, callId: r.callId, attempt: f.attempt, status: r.status, final: true });
    if (this.pausedForCredits) this.creditCheckDue = true; // a settlement freed its hold
  }

  // ── the periodic check ───────────────────────────────────────────────────────────────────────

  /** The timer fired: check calls in flight for at least one period, and a credit pause. */
  tick(nowMs: number, periodMs: number): void {
    if (this.callsToCheck(nowMs, periodMs).length) this.checkCallsDue = true;
    if (this.pausedForCredits) this.creditCheckDue = true;
    if (this.checkCallsDue || this.creditCheckDue) this.version++;
  }
  /** Calls in flight for at least one check period: those whose workflow may have closed without reporting. */
  callsToCheck(nowMs: number, periodMs: number): string[] {
    return [...this.inFlight].filter(([, f]) => nowMs - f.startedAtMs >= periodMs).map(([id]) => id);
  }
  /** Closed calls are reported (their result, or failed/not attempted when the workflow died); open ones stay. */
  checked(found: CallCheck[], nowMs: number): void {
    this.checkCallsDue = false;
    for (const c of found) {
      if (!c.closed) continue;
      this.report(c.result, nowMs);
    }
  }
  /** Credits were added to the account (a top-up): worth checking the balance if paused for credits. */
  creditsMayCover(): void {
    if (!this.pausedForCredits) return;
    this.creditCheckDue = true;
    this.version++;
  }
  /** The balance was checked while paused for credits. */
  creditsChecked(covers: boolean): void {
    this.creditCheckDue = false;
    if (covers && this.pausedForCredits) this.setStatus('running', null);
  }

  // ── what to dial next ──────────────────────────────────────────────────────────────────────

  /** Free places in the window, when the campaign is running. */
  freeSlots(): number {
    return this.status === 'running' ? Math.max(0, this.s.maxConcurrentCalls - this.inFlight.size) : 0;
  }
  /** The calling window's state is unknown or has changed since it was last looked up. */
  needsWindowCheck(nowMs: number): boolean {
    return nowMs >= this.windowOpenUntilMs;
  }
  /** Records where the calling window stands; false while it is closed (the campaign waits it out). */
  windowChecked(pos: { open: boolean; msUntilChange: number }, nowMs: number): boolean {
    this.waitingForWindow = !pos.open;
    this.windowOpenUntilMs = pos.open ? nowMs + pos.msUntilChange : 0;
    return pos.open;
  }
  get cursorSeq(): number {
    return this.cursor;
  }
  /** The next page should be read before taking attempts. */
  needsPage(): boolean {
    return !this.buffer.length && !this.exhausted;
  }
  addPage(page: ContactToCall[]): void {
    if (page.length < PAGE_SIZE) this.exhausted = true;
    if (page.length) this.cursor = page[page.length - 1]!.seq;
    this.buffer.push(...page);
  }
  /** Up to `n` attempts due at `nowMs`: the queue first (oldest due first), then contacts in order. */
  takeDue(n: number, nowMs: number): DueAttempt[] {
    const out: DueAttempt[] = [];
    this.queue.sort((a, b) => a.notBeforeMs - b.notBeforeMs);
    while (out.length < n && this.queue.length && this.queue[0]!.notBeforeMs <= nowMs) {
      const q = this.queue.shift()!;
      out.push({ contactId: q.contactId, attempt: q.attempt, tries: q.tries });
    }
    while (out.length < n && this.buffer.length) {
      const c = this.buffer.shift()!;
      out.push({ contactId: c.contactId, attempt: c.attempts + 1, tries: c.attempts + 1, phone: c.phone, seq: c.seq });
    }
    return out;
  }
  /** Attempts taken but not started (no lease, a failed start) go back where they came from. */
  putBack(items: DueAttempt[]): void {
    for (const it of [...items].reverse()) {
      if (it.seq === undefined)
        this.queue.unshift({ contactId: it.contactId, attempt: it.attempt, tries: it.tries, notBeforeMs: 0 });
      else this.buffer.unshift({ contactId: it.contactId, seq: it.seq, phone: it.phone!, attempts: it.attempt - 1 });
    }
  }
  /** A queued contact with no number any more (deleted): its attempts end here. */
  dropContact(it: DueAttempt): void {
    this.counters.contactsDone++;
    this.results.push({ contactId: it.contactId, attempt: it.attempt - 1, status: 'failed', final: true });
  }
  /** Set before the child's start resolves: its report may arrive in the same activation. */
  reserve(callId: string, it: DueAttempt, nowMs: number): void {
    this.inFlight.set(callId, { contactId: it.contactId, attempt: it.attempt, tries: it.tries, startedAtMs: nowMs });
  }
  started(it: DueAttempt): void {
    this.startedWrites.push({ contactId: it.contactId, attempt: it.attempt });
    this.counters.attemptsStarted++;
    this.callsThisRun++;
  }
  startFailed(callId: string, it: DueAttempt): void {
    this.inFlight.delete(callId);
    this.putBack([it]);
  }
  /** Milliseconds until the earliest queued attempt is due, if any is waiting. */
  msUntilDue(nowMs: number): number | undefined {
    if (!this.queue.length) return undefined;
    return Math.max(Math.min(...this.queue.map((q) => q.notBeforeMs)) - nowMs, 1);
  }

  /** Nothing left to dial and nothing in flight: the campaign ends (completed, or canceled). */
  settleIfDone(): void {
    if (this.status === 'canceling' && this.inFlight.size === 0) this.setStatus('canceled', null);
    else if (
      this.status === 'running' &&
      this.exhausted &&
      !this.buffer.length &&
      !this.queue.length &&
      this.inFlight.size === 0
    ) {
      this.setStatus('completed', null);
    }
  }

  // ── what to store ──────────────────────────────────────────────────────────────────────────

  /** Contact results and starts not yet written (taken: the caller writes them). */
  takeWrites(): { results: ContactResult[]; started: { contactId: string; attempt: number }[] } | undefined {
    if (!this.results.length && !this.startedWrites.length) return undefined;
    const w = { results: this.results, started: this.startedWrites };
    this.results = [];
    this.startedWrites = [];
    return w;
  }
  /** The status Postgres should hold, when it does not hold it yet. `canceling` is stored as running. */
  statusToStore(): StatusWrite | undefined {
    const want = this.wantedStatus();
    return statusKey(want) === this.stored ? undefined : { ...want, seq: ++this.statusSeq };
  }
  statusStored(w: StatusWrite): void {
    this.stored = statusKey(w);
  }
  /** Anything still to write: results, starts, status or an alert. */
  get hasWrites(): boolean {
    return (
      this.results.length > 0 ||
      this.startedWrites.length > 0 ||
      this.alertPending ||
      statusKey(this.wantedStatus()) !== this.stored
    );
  }
  private wantedStatus(): Omit<StatusWrite, 'seq'> {
    return this.status === 'canceling'
      ? { status: 'running', pauseReason: 'canceling' }
      : { status: this.status, pauseReason: this.pauseReason };
  }

  // ── continue-as-new ────────────────────────────────────────────────────────────────────────

  shouldContinueAsNew(serverSuggests: boolean): boolean {
    return !this.finished && (this.callsThisRun >= (this.input.callsPerRun ?? DEFAULT_CALLS_PER_RUN) || serverSuggests);
  }
  /** Contacts read but not started are read again by the next run: the cursor rewinds to the first. */
  carry(): CampaignCarry {
    return {
      cursor: this.buffer.length ? Math.min(...this.buffer.map((b) => b.seq)) - 1 : this.cursor,
      exhausted: this.exhausted && !this.buffer.length,
      status: this.status,
      pauseReason: this.pauseReason,
      storedStatus: this.stored,
      statusSeq: this.statusSeq,
      inFlight: Object.fromEntries(this.inFlight),
      queue: [...this.queue],
      counters: this.counters,
      generation: this.generation + 1,
    };
  }

  progress(): CampaignProgress {
    return {
      campaignId: this.input.campaignId,
      status: this.status,
      pauseReason: this.pauseReason,
      inFlight: this.inFlight.size,
      pendingRetries: this.queue.length,
      waitingForWindow: this.waitingForWindow,
      counters: this.counters,
      generation: this.generation,
    };
  }
}

function structuredCloneCounters(c: CampaignCounters): CampaignCounters {
  return { ...c, byStatus: { ...c.byStatus } };
}
