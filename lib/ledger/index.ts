export * from './errors';
export {
  createLedger,
  type Ledger,
  type Db,
  type Balance,
  type CreditResult,
  type HoldResult,
  type PostResult,
  type VoidResult,
  type StatementEntry,
} from './ledger';
export { ledgerBooks, ledgerViolations, type Books } from './audit';
/** The ledger's one currency: every balance, hold and charge is micro-units of it (1 USD = 1,000,000). */
export const CREDIT_CURRENCY = 'USD';
