// The invariant checks live in lib/ledger/audit.ts so operators can run them too.
export { ledgerViolations, ledgerBooks } from '../../lib/ledger/audit';
