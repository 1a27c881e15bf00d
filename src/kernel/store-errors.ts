import { AppError } from './app-error.js';

/**
 * The facts the persistence adapters report, as AppErrors with `store.*` codes. Driver errors are
 * turned into these inside each adapter (`persistence/<adapter>/*-errors.ts`); features decide what
 * a fact means to them, and the wires say it to clients (`scim/to-scim-error.ts`, `http/admin-errors.ts`).
 *
 * - `store.not_found`: the record is not there (or belongs to another registration).
 * - `store.conflict`: a unique field is taken; `data.field` names it.
 * - `store.version_conflict`: the record changed since the version the write expected.
 * - `store.unavailable`: the database cannot be reached or timed out; `data.mayHaveBeenApplied`
 *   is true when the request may have reached the database before it failed (a write that timed out
 *   may still be applied), so nobody is told "nothing was changed" then.
 */
export function notFound(what: string): AppError {
  return new AppError('store.not_found', `${what} not found`, { status: 404 });
}

export function conflict(field: string): AppError {
  return new AppError('store.conflict', `${field} is already taken`, { status: 409, data: { field } });
}

export function versionConflict(what: string): AppError {
  return new AppError('store.version_conflict', `${what} changed`, { status: 409 });
}

export function storeUnavailable(message: string, { cause, mayHaveBeenApplied = false }: { cause?: unknown; mayHaveBeenApplied?: boolean } = {}): AppError {
  return new AppError('store.unavailable', message, { status: 503, cause, data: { mayHaveBeenApplied } });
}

/** The unique field a `store.conflict` names. */
export function conflictingField(error: AppError): string {
  return String(error.data.field);
}
