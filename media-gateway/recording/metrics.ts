import { Counter } from 'prom-client';
import { registry } from '../../lib/metrics';

export const recordingsFinished = new Counter({
  name: 'aicall_recordings_finished_total',
  help: 'Call recordings by result: stored, failed (the call went on), off (campaign setting, or the stream never held the call)',
  labelNames: ['result'] as const,
  registers: [registry],
});

export const recordingFailures = new Counter({
  name: 'aicall_recording_failures_total',
  help: 'Recordings ended early, by stage: open, write, backlog, finalize, upload',
  labelNames: ['stage'] as const,
  registers: [registry],
});
