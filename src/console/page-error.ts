import { AppError, entryForCode, isAppError } from '../kernel/app-error.js';
import { fromRequestError } from '../http/request-errors.js';

/** A console answer other than the page asked for: its status, a title and a sentence for the reader. */
export interface ProblemPage {
  status: number;
  title: string;
  message: string;
}

/** The console's own refusals, by status. */
const PAGE_CODES = { 400: 'console.bad_request', 403: 'console.forbidden', 404: 'console.not_found' } as const;

/** A refusal of the console, shown as a page with this title. */
export function pageError(status: keyof typeof PAGE_CODES, title: string, message: string): AppError {
  return new AppError(PAGE_CODES[status], message, { status, data: { title } });
}

const SOMETHING_WRONG: ProblemPage = { status: 500, title: 'Something went wrong', message: 'The console could not answer; quote the X-Request-Id response header when reporting it.' };

/**
 * What the console shows for a code. Any other AppError below 500 is a refusal shown as "Not done"
 * with its message (e.g. 409 "a reconcile of X is already running (started …)"); the rest, and
 * the store's facts, are "Something went wrong" (logged).
 */
const CONSOLE_PAGES: Readonly<Record<string, (error: AppError) => ProblemPage>> = {
  console: (error) => ({ status: error.status, title: String(error.data.title), message: error.message }),
  audit: (error) => ({ status: error.status === 404 ? 404 : 400, title: error.status === 404 ? 'Not found' : 'Search not understood', message: error.message }),
  'request.too_large': () => ({ status: 413, title: 'Request too large', message: 'The form sent more than the console accepts.' }),
  store: () => SOMETHING_WRONG,
};

/** The one mapping of errors to the console's problem pages. */
export function toProblemPage(error: unknown): ProblemPage {
  const known = fromRequestError(error);
  if (!isAppError(known)) return SOMETHING_WRONG;
  const page = entryForCode(CONSOLE_PAGES, known.code);
  if (page) return page(known);
  return known.status < 500 ? { status: known.status, title: 'Not done', message: known.message } : SOMETHING_WRONG;
}
