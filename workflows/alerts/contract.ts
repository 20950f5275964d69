import type { AlertRuleOptions } from '../../lib/alerts/rules';

export const ALERTS_SCHEDULE_ID = 'alerts-sweep';
export const ALERTS_WORKFLOW_ID = 'alerts-sweep';

export interface AlertsSweepInput {
  rules?: AlertRuleOptions;
  delivery?: {
    /** Attempts per sweep (activity retry policy). Default 5. */
    maximumAttempts?: number;
    /** First retry interval, e.g. '2 seconds'. Default 2 s, doubling. */
    initialInterval?: string;
    /** A failing alert is retried by later sweeps until it has this many attempts. Default 20. */
    maxTotalAttempts?: number;
  };
}

export interface AlertsSweepResult {
  fired: string[];
  cleared: number;
  delivered: string[];
  undelivered: string[];
}
