/** Typed ledger failures. `code` is stable and crosses process boundaries (Temporal failure type). */
export class LedgerError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export class InsufficientCredits extends LedgerError {
  constructor(
    readonly accountId: string,
    readonly requested: number,
    readonly available: number,
  ) {
    super('InsufficientCredits', `account ${accountId} has ${available} available, ${requested} requested`);
  }
}

/** The same idempotency key was used before with different arguments. */
export class IdempotencyKeyReused extends LedgerError {
  constructor(readonly key: string) {
    super('IdempotencyKeyReused', `idempotency key ${key} was already used with different arguments`);
  }
}

export class HoldNotFound extends LedgerError {
  constructor(readonly holdKey: string) {
    super('HoldNotFound', `no hold ${holdKey}`);
  }
}

/** The hold was already posted or voided by another operation. */
export class HoldAlreadyResolved extends LedgerError {
  constructor(
    readonly holdKey: string,
    readonly status: string,
    readonly resolvedBy: string,
  ) {
    super('HoldAlreadyResolved', `hold ${holdKey} is already ${status} (by ${resolvedBy})`);
  }
}

/** A post asked for more than was held: an error, never a silent cap. */
export class OverCharge extends LedgerError {
  constructor(
    readonly holdKey: string,
    readonly requested: number,
    readonly held: number,
  ) {
    super('OverCharge', `post of ${requested} exceeds hold ${holdKey} of ${held}`);
  }
}

export class InvalidAmount extends LedgerError {
  constructor(what: string, amount: unknown) {
    super('InvalidAmount', `${what} must be a safe integer number of micro-units, got ${String(amount)}`);
  }
}

export class AccountNotFound extends LedgerError {
  constructor(readonly accountId: string) {
    super('AccountNotFound', `no account ${accountId}`);
  }
}

export class InvalidCursor extends LedgerError {
  constructor(readonly cursor: string) {
    super('InvalidCursor', `statement cursor must be the nextCursor of a previous page, got ${cursor}`);
  }
}
