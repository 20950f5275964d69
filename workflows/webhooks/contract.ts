// The webhook workflows' contract lives in lib/webhooks/contract.ts (lib is the bottom layer and
// the emitter there starts these workflows); re-exported here for workflow-side imports.
export * from '../../lib/webhooks/contract';
