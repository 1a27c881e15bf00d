import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/kernel/app-error.js';
import { conflict, notFound, storeUnavailable, versionConflict } from '../../../src/kernel/store-errors.js';
import { scimError } from '../../../src/scim/errors.js';
import { ERROR_SCHEMA, SCIM_PROTOCOL_ERRORS, toScimError, toScimErrorBody } from '../../../src/scim/to-scim-error.js';

const INTERNAL = { status: 500, detail: 'Internal error; quote the X-Request-Id header when reporting it' };

describe('to-scim-error: the SCIM protocol errors, code ↔ status and scimType (RFC 7644 §3.12)', () => {
  const documented = [
    ['scim.invalid_filter', 400, 'invalidFilter'],
    ['scim.too_many', 400, 'tooMany'],
    ['scim.uniqueness', 409, 'uniqueness'],
    ['scim.mutability', 400, 'mutability'],
    ['scim.invalid_syntax', 400, 'invalidSyntax'],
    ['scim.invalid_path', 400, 'invalidPath'],
    ['scim.no_target', 400, 'noTarget'],
    ['scim.invalid_value', 400, 'invalidValue'],
    ['scim.invalid_vers', 400, 'invalidVers'],
    ['scim.sensitive', 403, 'sensitive'],
    ['scim.bad_request', 400, undefined],
    ['scim.unauthorized', 401, undefined],
    ['scim.not_found', 404, undefined],
    ['scim.conflict', 409, undefined],
    ['scim.precondition_failed', 412, undefined],
    ['scim.too_large', 413, undefined],
    ['scim.unsupported_media_type', 415, undefined],
    ['scim.too_many_requests', 429, undefined],
    ['scim.not_implemented', 501, undefined],
    ['scim.unavailable', 503, undefined],
  ] as const;

  it('lists exactly these codes', () => {
    expect(Object.keys(SCIM_PROTOCOL_ERRORS).sort()).toEqual(documented.map(([code]) => code).sort());
  });

  it.each(documented)('%s is answered %i %s with the message as detail', (code, status, scimType) => {
    expect(toScimError(new AppError(code, 'what the client got wrong'))).toEqual({ status, scimType, detail: 'what the client got wrong' });
  });

  it.each(documented)('scimError of the status and scimType of %s raises that code', (code, status, scimType) => {
    const raise = scimError as (status: number, scimType: string | undefined, detail: string) => AppError;
    expect(raise(status, scimType, 'detail')).toMatchObject({ code, status, message: 'detail' });
  });
});

describe("to-scim-error: the store's facts", () => {
  it('REG-2: not found (or another registration\'s) is a bare 404 that names nothing', () => {
    expect(toScimError(notFound('voice user 4f1c of registration contoso'))).toEqual({ status: 404, detail: 'Resource not found' });
  });

  it('a conflict is 409 uniqueness naming the field', () => {
    expect(toScimError(conflict('userName'))).toEqual({ status: 409, scimType: 'uniqueness', detail: 'userName is already taken' });
  });

  it('a version conflict is 412', () => {
    expect(toScimError(versionConflict('scim_users 4f1c'))).toEqual({ status: 412, detail: 'The resource changed while this request was applied; retry' });
  });

  it('an outage is 503, saying "nothing was changed" only when that is known', () => {
    expect(toScimError(storeUnavailable('MongoDB is unavailable'))).toEqual({ status: 503, detail: 'The directory database is unavailable; nothing was changed. Retry later.' });
    expect(toScimError(storeUnavailable('MongoDB is unavailable', { mayHaveBeenApplied: true }))).toEqual({
      status: 503,
      detail: 'The directory database became unavailable while this request was applied; the change may already be saved. Retry later.',
    });
  });

  it('a code under a listed one is answered as it', () => {
    expect(toScimError(new AppError('store.unavailable.write_queue_full', 'Too many writes are waiting', { data: { mayHaveBeenApplied: false } }))).toMatchObject({ status: 503 });
  });
});

describe('to-scim-error: request bodies refused before any handler', () => {
  it.each([
    ['request.invalid_json', 'The request body is not valid JSON', {}, 400, { status: 400, scimType: 'invalidSyntax', detail: 'The request body is not valid JSON' }],
    ['request.too_deep', 'too deep', { limit: 32 }, 400, { status: 400, scimType: 'invalidSyntax', detail: 'The request body nests arrays and objects deeper than the limit of 32 levels' }],
    ['request.too_large', 'too large', { limit: 1048576 }, 413, { status: 413, detail: 'The request body is larger than the limit of 1048576 bytes' }],
    ['request.encoded', 'The request body must be sent uncompressed (no Content-Encoding)', {}, 415, { status: 415, detail: 'The request body must be sent uncompressed (no Content-Encoding)' }],
    ['request.charset', 'The request body must be UTF-8 JSON', {}, 415, { status: 415, detail: 'The request body must be UTF-8 JSON' }],
    ['request.aborted', 'The request was aborted before the body was received', {}, 400, { status: 400, detail: 'The request was aborted before the body was received' }],
    ['request.malformed', 'The request is not valid HTTP/1.1', {}, 400, { status: 400, scimType: 'invalidSyntax', detail: 'The request is not valid HTTP/1.1' }],
    ['request.malformed', 'The request headers are larger than the limit', {}, 431, { status: 431, detail: 'The request headers are larger than the limit' }],
    ['request.unreadable', 'The request cannot be read (HTTP 405)', {}, 405, { status: 405, detail: 'The request cannot be read (HTTP 405); check its headers, path and body' }],
  ] as const)('%s', (code, message, data, status, answer) => {
    expect(toScimError(new AppError(code, message, { status, data }))).toEqual(answer);
  });
});

describe("to-scim-error: the directory's refusals", () => {
  it.each([
    ['directory.user_not_found', 'User 4f1c not found', 404, { status: 404, detail: 'User 4f1c not found' }],
    ['directory.group_not_found', 'Group 4f1c not found', 404, { status: 404, detail: 'Group 4f1c not found' }],
    ['directory.user_name_taken', 'userName "ada@contoso.example" is already taken by another user', 409, { status: 409, scimType: 'uniqueness', detail: 'userName "ada@contoso.example" is already taken by another user' }],
    ['directory.unknown_members', 'members refer to unknown users: 4f1c', 400, { status: 400, scimType: 'invalidValue', detail: 'members refer to unknown users: 4f1c' }],
    ['directory.write_contention', 'The resource is being changed by other requests; retry the PATCH', 409, { status: 409, detail: 'The resource is being changed by other requests; retry the PATCH' }],
  ] as const)('%s is answered with its status, scimType and message', (code, message, status, answer) => {
    expect(toScimError(new AppError(code, message, { status }))).toEqual(answer);
  });

  it('a precondition refused against the current version quotes the If-Match sent and the current ETag', () => {
    const refused = new AppError('directory.precondition_failed', 'The stored version is 3, not one of those expected (1)', { status: 412, data: { currentVersion: 3 } });
    expect(toScimError(refused, { ifMatch: 'W/"1"' })).toEqual({ status: 412, detail: 'If-Match W/"1" does not match the current version W/"3"' });
    expect(toScimError(refused, { ifMatch: `W/"${'9'.repeat(200)}"` }).detail.length).toBeLessThan(140);
  });

  it('a precondition refused by the write itself (the resource changed meanwhile) says so', () => {
    const changed = new AppError('directory.precondition_failed', 'The resource changed since the version given in If-Match', { status: 412 });
    expect(toScimError(changed, { ifMatch: 'W/"1"' })).toEqual({ status: 412, detail: 'The resource changed since the version given in If-Match' });
  });
});

describe('to-scim-error: anything else is a 500 that shows nothing of the error', () => {
  it.each([
    ['a refusal meant for the admin API', new AppError('registration.not_found', 'No registration named "contoso-secret"', { status: 404 })],
    ['a code of 503 not in the table', new AppError('service.stopping', 'This instance is shutting down', { status: 503 })],
    ['a family name alone', new AppError('scim', 'not a protocol error')],
    ['a driver error', Object.assign(new Error('E11000 duplicate key error collection: scim.users'), { code: 11000 })],
    ['a thrown string', 'boom'],
  ])('%s', (_name, error) => {
    expect(toScimError(error)).toEqual(INTERNAL);
  });
});

describe('toScimErrorBody', () => {
  it('writes the Error schema, the status, the scimType when there is one, and a detail of at most 500 characters', () => {
    expect(toScimErrorBody({ status: 409, scimType: 'uniqueness', detail: 'userName is already taken' })).toEqual({ schemas: [ERROR_SCHEMA], status: 409, scimType: 'uniqueness', detail: 'userName is already taken' });
    const body = toScimErrorBody({ status: 400, detail: 'x'.repeat(5000) });
    expect(body).not.toHaveProperty('scimType');
    expect(String(body.detail).length).toBeLessThanOrEqual(500);
  });
});
