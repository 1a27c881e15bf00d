/** Failures of the persistence adapters, translated from driver errors inside each adapter. */
export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class NotFoundError extends StoreError {}

export class ConflictError extends StoreError {
  constructor(readonly field: string, message = `${field} is already taken`) {
    super(message);
  }
}

export class VersionConflictError extends StoreError {}

/**
 * The database cannot be reached or timed out: the SCIM layer answers 503 with Retry-After.
 * `mayHaveBeenApplied` is set when the request may have reached the database before it failed
 * (a write that timed out may still be applied), so nobody is told "nothing was changed" then.
 */
export class StoreUnavailableError extends StoreError {
  readonly mayHaveBeenApplied: boolean;

  constructor(message: string, options?: { cause?: unknown; mayHaveBeenApplied?: boolean }) {
    super(message, options);
    this.mayHaveBeenApplied = options?.mayHaveBeenApplied ?? false;
  }
}
