// Every workflow the orchestrator worker runs. The worker bundles this file.
export { systemCheckWorkflow } from './system';
export { callWorkflow } from './call/workflow';
export { holdSweeperWorkflow } from './call/sweeper';
export { topUpWorkflow } from './topup/workflow';
export { campaignWorkflow } from './campaign/workflow';
export { alertsSweepWorkflow } from './alerts/workflow';
export { webhookDeliveryWorkflow, webhooksSweepWorkflow } from './webhooks/workflow';
export { callAnalysisWorkflow } from './analysis/workflow';
export { recordingRetentionWorkflow } from './recordings/workflow';
