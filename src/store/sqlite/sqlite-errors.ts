import { ConflictError, StoreUnavailableError } from '../store.js';

/** Turns better-sqlite3 errors into the store's errors; `fieldOf` names the unique column that clashed. */
export function translateSqliteError(error: unknown, fieldOf: (message: string) => string = () => 'id'): never {
  const code = (error as { code?: string })?.code ?? '';
  const message = (error as Error)?.message ?? '';
  if (code.startsWith('SQLITE_CONSTRAINT_UNIQUE') || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new ConflictError(fieldOf(message));
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_IOERR' || code === 'SQLITE_CANTOPEN' || /database connection is not open/.test(message)) {
    throw new StoreUnavailableError('The embedded database is unavailable', { cause: error });
  }
  throw error;
}

export function sqliteSafely<T>(work: () => T, fieldOf?: (message: string) => string): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(catchAndTranslate(error, fieldOf));
  }
}

function catchAndTranslate(error: unknown, fieldOf?: (message: string) => string): unknown {
  try {
    translateSqliteError(error, fieldOf);
  } catch (translated) {
    return translated;
  }
}
