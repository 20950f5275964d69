import type { Faults, Scenario } from '../sim/twilio/scenario';

export interface SimCreate {
  at: string;
  to: string;
  outcome: 'created' | 'error' | 'response_dropped';
  status: number | null;
  callSid: string | null;
  callId: string | null;
}

export interface SimCallView {
  sid: string;
  to: string;
  status: string;
  answeredBy: string | null;
  duration: number | null;
  callId: string | null;
}

/** Client of the Twilio simulator's /__sim/ control routes (sim/twilio/admin.ts), from another process. */
export class SimControl {
  constructor(readonly baseUrl: string) {}

  private async req<T>(method: string, what: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl}/__sim/${what}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`simulator ${method} ${what}: ${res.status} ${JSON.stringify(json)}`);
    return json as T;
  }

  faults = () => this.req<Faults>('GET', 'faults');
  setFaults = (patch: Partial<Faults>) => this.req<Faults>('PUT', 'faults', patch);
  setScenario = (patch: Scenario) => this.req<unknown>('PUT', 'scenario', patch);
  creates = () => this.req<SimCreate[]>('GET', 'creates');
  calls = () => this.req<SimCallView[]>('GET', 'calls');
}
