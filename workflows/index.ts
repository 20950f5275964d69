// Every workflow the orchestrator worker runs. The worker bundles this file.
export { systemCheckWorkflow } from './system';
