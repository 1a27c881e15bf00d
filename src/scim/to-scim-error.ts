import { isAppError, entryForCode, type AppError } from '../kernel/app-error.js';
import { conflictingField } from '../kernel/store-errors.js';
import { excerpt } from '../kernel/excerpt.js';
import { etagOf } from './etag.js';

/** RFC 7644 §3.12, Table 9. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

/** What a SCIM Error body says (RFC 7644 §3.12). */
export interface ScimErrorAnswer {
  status: number;
  scimType?: ScimType;
  detail: string;
}

/**
 * The SCIM protocol's own errors, raised through `scimError` (scim/errors.ts): each code with the
 * status and scimType it is sent with (the status RFC 7644 Table 9 gives each scimType); the detail
 * is the error's message, written for the client where it was raised.
 */
export const SCIM_PROTOCOL_ERRORS = {
  'scim.invalid_filter': { status: 400, scimType: 'invalidFilter' },
  'scim.too_many': { status: 400, scimType: 'tooMany' },
  'scim.uniqueness': { status: 409, scimType: 'uniqueness' },
  'scim.mutability': { status: 400, scimType: 'mutability' },
  'scim.invalid_syntax': { status: 400, scimType: 'invalidSyntax' },
  'scim.invalid_path': { status: 400, scimType: 'invalidPath' },
  'scim.no_target': { status: 400, scimType: 'noTarget' },
  'scim.invalid_value': { status: 400, scimType: 'invalidValue' },
  'scim.invalid_vers': { status: 400, scimType: 'invalidVers' },
  'scim.sensitive': { status: 403, scimType: 'sensitive' },
  'scim.bad_request': { status: 400 },
  'scim.unauthorized': { status: 401 },
  'scim.not_found': { status: 404 },
  'scim.conflict': { status: 409 },
  'scim.precondition_failed': { status: 412 },
  'scim.too_large': { status: 413 },
  'scim.unsupported_media_type': { status: 415 },
  'scim.too_many_requests': { status: 429 },
  'scim.not_implemented': { status: 501 },
  'scim.unavailable': { status: 503 },
} as const satisfies Record<string, { status: number; scimType?: ScimType }>;

/** What of the request an answer may quote: the If-Match header a refused precondition names. */
export interface AnsweredRequest {
  ifMatch?: string;
}

type Answer = (error: AppError, request: AnsweredRequest) => ScimErrorAnswer;

const passedOn =
  ({ status, scimType }: { status: number; scimType?: ScimType }): Answer =>
  (error) => ({ status, scimType, detail: error.message });

/** RFC 7644 §3.14: a refused If-Match is answered in its own terms, the header as sent and the current version as its ETag. */
const preconditionFailed: Answer = (error, { ifMatch }) => {
  const { currentVersion } = error.data;
  const detail = typeof currentVersion === 'number' && ifMatch ? `If-Match ${excerpt(ifMatch, 60)} does not match the current version ${etagOf(currentVersion)}` : error.message;
  return { status: 412, detail };
};

/**
 * What SCIM answers for each code; a code under one listed here (`store.unavailable.x`) answers
 * as it. Any other code is a bug or a refusal meant for another API: a 500 that shows nothing of
 * the error (the handler logs it).
 */
const SCIM_ANSWERS: Readonly<Record<string, Answer>> = {
  ...Object.fromEntries(Object.entries(SCIM_PROTOCOL_ERRORS).map(([code, answer]) => [code, passedOn(answer)])),
  // REG-2: another registration's record is as absent as one that never existed.
  'store.not_found': () => ({ status: 404, detail: 'Resource not found' }),
  'store.conflict': (error) => ({ status: 409, scimType: 'uniqueness', detail: `${conflictingField(error)} is already taken` }),
  'store.version_conflict': () => ({ status: 412, detail: 'The resource changed while this request was applied; retry' }),
  // Only say "nothing was changed" when that is known: a write that timed out may have been applied.
  'store.unavailable': (error) => ({
    status: 503,
    detail: error.data.mayHaveBeenApplied
      ? 'The directory database became unavailable while this request was applied; the change may already be saved. Retry later.'
      : 'The directory database is unavailable; nothing was changed. Retry later.',
  }),
  // The directory's refusals (directory/directory-service.ts): the message is written for the client.
  'directory.user_not_found': passedOn({ status: 404 }),
  'directory.group_not_found': passedOn({ status: 404 }),
  'directory.user_name_taken': passedOn({ status: 409, scimType: 'uniqueness' }),
  'directory.unknown_members': passedOn({ status: 400, scimType: 'invalidValue' }),
  'directory.write_contention': passedOn({ status: 409 }),
  'directory.precondition_failed': preconditionFailed,
  'request.invalid_json': passedOn({ status: 400, scimType: 'invalidSyntax' }),
  'request.too_deep': (error) => ({ status: 400, scimType: 'invalidSyntax', detail: `The request body nests arrays and objects deeper than the limit of ${error.data.limit} levels` }),
  'request.too_large': (error) => ({ status: 413, detail: `The request body is larger than the limit of ${error.data.limit} bytes` }),
  'request.encoded': passedOn({ status: 415 }),
  'request.charset': passedOn({ status: 415 }),
  'request.aborted': passedOn({ status: 400 }),
  // Refused by Node's HTTP parser before Express (a malformed header, an unknown Expect, …).
  'request.malformed': (error) => ({ status: error.status, ...(error.status === 400 ? { scimType: 'invalidSyntax' as const } : {}), detail: error.message }),
  'request.unreadable': (error) => ({ status: error.status, detail: `The request cannot be read (HTTP ${error.status}); check its headers, path and body` }),
};

const INTERNAL_ERROR: ScimErrorAnswer = { status: 500, detail: 'Internal error; quote the X-Request-Id header when reporting it' };

/** The one mapping of errors to SCIM answers (RFC 7644 §3.12). */
export function toScimError(error: unknown, request: AnsweredRequest = {}): ScimErrorAnswer {
  if (!isAppError(error)) return INTERNAL_ERROR;
  return entryForCode(SCIM_ANSWERS, error.code)?.(error, request) ?? INTERNAL_ERROR;
}

export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/**
 * Longest `detail` sent. Details quote input through `excerpt`; this cap is the backstop for any
 * that does not, so an error never echoes a large request back.
 */
const MAX_DETAIL_CHARS = 500;

export function toScimErrorBody({ status, scimType, detail }: ScimErrorAnswer): Record<string, unknown> {
  return {
    schemas: [ERROR_SCHEMA],
    status,
    ...(scimType ? { scimType } : {}),
    detail: excerpt(detail, MAX_DETAIL_CHARS),
  };
}
