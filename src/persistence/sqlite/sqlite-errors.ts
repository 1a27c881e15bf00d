import Database from 'better-sqlite3';
import { conflict, storeUnavailable } from '../../kernel/store-errors.js';

/** The one place where better-sqlite3 errors are read: by `SqliteError.code` (extended result codes). */

const UNIQUE_CODES = new Set(['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY']);

/** Another connection holds the lock past `busy_timeout`, or the file cannot be read or written. */
const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|READONLY)(_|$)/;

/**
 * Which unique field clashed. SQLite reports the columns only in the message text
 * ("UNIQUE constraint failed: voice_users.registration_id, voice_users.extension_key"): no code
 * names them, so a caller that must tell several unique columns apart reads it there.
 */
export type ConflictNamer = string | ((message: string) => string);

export function translateSqliteError(error: unknown, namer: ConflictNamer = 'id'): never {
  if (error instanceof Database.SqliteError) {
    if (UNIQUE_CODES.has(error.code)) throw conflict(typeof namer === 'string' ? namer : namer(error.message));
    if (UNAVAILABLE_CODES.test(error.code)) throw storeUnavailable('The embedded database is unavailable', { cause: error });
  }
  // better-sqlite3 throws a TypeError, not a SqliteError, once the connection is closed.
  if (error instanceof TypeError && error.message === 'The database connection is not open') {
    throw storeUnavailable('The embedded database is closed', { cause: error });
  }
  throw error;
}

export function sqliteSafely<T>(work: () => T, conflict?: ConflictNamer): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(catchAndTranslate(error, conflict));
  }
}

function catchAndTranslate(error: unknown, conflict?: ConflictNamer): unknown {
  try {
    translateSqliteError(error, conflict);
  } catch (translated) {
    return translated;
  }
}
