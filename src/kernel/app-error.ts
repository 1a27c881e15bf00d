/**
 * The one error type of the service. `code` is stable and dotted (`store.conflict`,
 * `registration.not_found`, `scim.invalid_filter`): callers and tests match codes, never messages
 * or classes. `status` is the HTTP status an answer carries when a wire passes the error through;
 * each wire decides in one table what it says for a code (`scim/to-scim-error.ts`,
 * `http/admin-errors.ts`, the console's). `data` holds the facts a wire or a caller needs
 * (`{ field }` of a conflict, `{ mayHaveBeenApplied }` of an outage).
 *
 * @example
 * throw new AppError('registration.not_found', `No registration named "${name}"`, { status: 404 });
 * if (isAppError(error, 'store.conflict')) … error.data.field …
 */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly data: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, { status = 400, data = {}, cause }: AppErrorOptions = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'AppError';
    this.code = code;
    this.status = status;
    this.data = data;
  }
}

export interface AppErrorOptions {
  /** HTTP status when a wire passes the error through; 400 unless given. */
  status?: number;
  data?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * Whether `error` is an AppError, and when `code` is given, one of that code or of a code under it:
 * `'store'` matches `store.conflict`, `'store.conflict'` matches only itself (and `store.conflict.*`).
 */
export function isAppError(error: unknown, code?: string): error is AppError {
  return error instanceof AppError && (code === undefined || codeMatches(error.code, code));
}

function codeMatches(code: string, family: string): boolean {
  return code === family || code.startsWith(`${family}.`);
}

/**
 * The entry a wire's table has for `code`: its own, else the nearest family's
 * (`store.not_found` → `store`), else undefined.
 */
export function entryForCode<T>(table: Readonly<Record<string, T>>, code: string): T | undefined {
  for (let key = code; key; key = key.slice(0, Math.max(0, key.lastIndexOf('.')))) {
    if (Object.hasOwn(table, key)) return table[key];
  }
  return undefined;
}

/** Guards a precondition: throws `new AppError(code, message, options)` unless `condition` holds. */
export function assertThat(condition: unknown, code: string, message: string, options?: AppErrorOptions): asserts condition {
  if (!condition) throw new AppError(code, message, options);
}
