import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/kernel/app-error.js';
import { conflict, notFound, storeUnavailable, versionConflict } from '../../../src/kernel/store-errors.js';
import { toAdminAnswer } from '../../../src/http/admin-errors.js';

const INTERNAL = { code: 'internal', message: 'Internal error; quote the correlation id when reporting it', status: 500 };

/** What body-parser throws (http-errors): a status, `expose` and a `type`. */
const parserError = (type: string, status: number, extra: Record<string, unknown> = {}) => Object.assign(new Error('raw parser message quoting the body'), { type, status, expose: true, ...extra });

describe('admin-errors: the admin API answers codes, in one table', () => {
  it('a refusal below 500 is answered with its own code, message and status', () => {
    expect(toAdminAnswer(new AppError('registration.not_found', 'No registration named "x"', { status: 404 }))).toEqual({ code: 'registration.not_found', message: 'No registration named "x"', status: 404 });
  });

  it('a 503 asking to retry keeps its message; any other 500 or more is a bare internal', () => {
    expect(toAdminAnswer(new AppError('service.stopping', 'This instance is shutting down; retry', { status: 503 }))).toEqual({ code: 'service.stopping', message: 'This instance is shutting down; retry', status: 503 });
    expect(toAdminAnswer(new AppError('graph.unavailable', 'Microsoft Graph is unavailable (HTTP 503)', { status: 502 }))).toEqual(INTERNAL);
    expect(toAdminAnswer(new Error('TypeError: x is undefined'))).toEqual(INTERNAL);
  });

  it("the store's outage is a 503; its other facts reaching the edge are bugs, answered as internal", () => {
    expect(toAdminAnswer(storeUnavailable('MongoDB is unavailable'))).toEqual({ code: 'store.unavailable', message: 'The database is unavailable; retry later', status: 503 });
    for (const fact of [notFound('registration reg-1'), conflict('name'), versionConflict('registration reg-1')]) expect(toAdminAnswer(fact)).toEqual(INTERNAL);
  });

  it('request bodies the parser refused keep the codes and words the admin API always gave', () => {
    expect(toAdminAnswer(parserError('entity.parse.failed', 400))).toEqual({ code: 'request.invalid_json', message: 'The request body is not valid JSON', status: 400 });
    expect(toAdminAnswer(parserError('entity.too.large', 413, { limit: 262144 }))).toEqual({ code: 'request.too_large', message: 'The request body is larger than 262144 bytes', status: 413 });
    expect(toAdminAnswer(parserError('encoding.unsupported', 415))).toEqual({ code: 'request.encoded', message: 'The request body must be sent uncompressed (no Content-Encoding)', status: 415 });
    expect(toAdminAnswer(parserError('charset.unsupported', 415))).toEqual({ code: 'request.unreadable', message: 'The request cannot be read (HTTP 415)', status: 415 });
    expect(toAdminAnswer(parserError('request.aborted', 400))).toEqual({ code: 'request.unreadable', message: 'The request cannot be read (HTTP 400)', status: 400 });
    expect(toAdminAnswer(new AppError('request.malformed', 'The request headers are larger than the limit', { status: 431 }))).toEqual({ code: 'request.malformed', message: 'The request headers are larger than the limit', status: 431 });
    expect(toAdminAnswer(parserError('something.else', 405))).toEqual({ code: 'request.unreadable', message: 'The request cannot be read (HTTP 405)', status: 405 });
  });
});
