export * from './errors';
export { createLedger, type Ledger, type Db, type Balance, type CreditResult, type HoldResult, type PostResult, type VoidResult, type StatementEntry } from './ledger';
export { ledgerBooks, ledgerViolations, type Books } from './audit';
