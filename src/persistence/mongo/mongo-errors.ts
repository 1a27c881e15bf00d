import mongoose from 'mongoose';
import { conflict, storeUnavailable } from '../../kernel/store-errors.js';

const {
  MongoBulkWriteError,
  MongoError,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerClosedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  MongoErrorLabel,
} = mongoose.mongo;

/** The one place where driver errors are read: by class, code and label, never by message where a code exists. */

const DUPLICATE_KEY = 11000;

/**
 * Server codes that mean "not now": interrupted at shutdown (11600, 11602), shutdown in progress (91),
 * primary stepped down or lost (189, 10107, 13435, 13436), operation exceeded its time limit (50).
 */
const UNAVAILABLE_CODES = new Set([50, 91, 189, 10107, 11600, 11602, 13435, 13436]);

/** Labels the driver puts on errors after which the same command may succeed on another try. */
const UNAVAILABLE_LABELS = [MongoErrorLabel.RetryableWriteError, MongoErrorLabel.ResetPool, MongoErrorLabel.SystemOverloadedError, MongoErrorLabel.PoolRequestedRetry];

/** A unique index refused a write; `keyFields` are the index's keys when the server names them. */
export interface DuplicateKey {
  keyFields: string[] | undefined;
}

/**
 * MongoDB answers E11000 with `keyPattern`. FerretDB v1 answers an insert the same way without
 * `keyPattern`, and an update that breaks a unique index with code 1 (InternalError) and SQLite's
 * "UNIQUE constraint failed": no code exists for that case, so there (and only there) the text decides.
 */
export function duplicateKeyOf(error: unknown): DuplicateKey | undefined {
  if ((error instanceof MongoServerError || error instanceof MongoBulkWriteError) && error.code === DUPLICATE_KEY) {
    const pattern = (error as { keyPattern?: Record<string, unknown> }).keyPattern;
    return { keyFields: pattern ? Object.keys(pattern) : undefined };
  }
  if (error instanceof MongoServerError && error.code === 1 && error.message.includes('UNIQUE constraint failed')) return { keyFields: undefined };
  return undefined;
}

export function isDuplicateKey(error: unknown): boolean {
  return duplicateKeyOf(error) !== undefined;
}

/** Indexes of the documents an unordered insertMany refused as duplicates (the others were inserted). */
export function duplicateIndexesOf(error: unknown): Set<number> | undefined {
  if (!(error instanceof MongoBulkWriteError)) return undefined;
  const writeErrors = [error.writeErrors].flat();
  if (!writeErrors.every((writeError) => writeError.code === DUPLICATE_KEY)) return undefined;
  return new Set(writeErrors.map((writeError) => writeError.index));
}

/** True when the request may have reached the server before it failed (a timed-out or cut write may be applied). */
function mayHaveBeenSent(error: unknown): boolean {
  return error instanceof MongoNetworkTimeoutError || error instanceof MongoOperationTimeoutError || (error instanceof MongoNetworkError && !(error instanceof MongoServerSelectionError));
}

export function isUnavailable(error: unknown): boolean {
  if (
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoTopologyClosedError ||
    error instanceof MongoServerClosedError ||
    error instanceof MongoOperationTimeoutError ||
    error instanceof mongoose.Error.MongooseServerSelectionError
  ) {
    return true;
  }
  if (error instanceof MongoError && UNAVAILABLE_LABELS.some((label) => error.hasErrorLabel(label))) return true;
  if (error instanceof MongoServerError && typeof error.code === 'number' && UNAVAILABLE_CODES.has(error.code)) return true;
  // FerretDB v1 answers an operation cut by its own shutdown with code 1 and Go's "context canceled": no code of its own.
  return error instanceof MongoServerError && error.code === 1 && /context (canceled|deadline exceeded)/.test(error.message);
}

/** The server does not implement the command or option (FerretDB v1: TTL indexes, transactions). */
export function isNotImplemented(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === 238;
}

/** Names the field of a duplicate from the index keys: `{registrationId, userNameLower}` → `userName`. */
export function conflictFieldOf({ keyFields }: DuplicateKey, fallback: string): string {
  const field = keyFields?.find((key) => key !== 'registrationId' && key !== '_id');
  return field ? field.replace(/^keys\./, '').replace(/Lower$/, '') : fallback;
}

/** Turns driver errors into the store's errors; `fallbackField` names the unique field when the server does not. */
export function translateMongoError(error: unknown, fallbackField = 'id'): never {
  const duplicate = duplicateKeyOf(error);
  if (duplicate) throw conflict(conflictFieldOf(duplicate, fallbackField));
  if (isUnavailable(error)) throw storeUnavailable('MongoDB is unavailable', { cause: error, mayHaveBeenApplied: mayHaveBeenSent(error) });
  throw error;
}

export async function mongoSafely<T>(work: () => Promise<T>, fallbackField?: string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    translateMongoError(error, fallbackField);
  }
}
