// Every workflow the orchestrator worker runs. The worker bundles this file.
export { systemCheckWorkflow } from './system';
export { callWorkflow } from './call/workflow';
export { topUpWorkflow } from './topup/workflow';
export { campaignWorkflow } from './campaign/workflow';
export { alertsSweepWorkflow } from './alerts/workflow';
export { recordingRetentionWorkflow } from './recordings/workflow';
