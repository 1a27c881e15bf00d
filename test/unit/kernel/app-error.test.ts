import { describe, expect, it } from 'vitest';
import { AppError, assertThat, entryForCode, isAppError } from '../../../src/kernel/app-error.js';

describe('AppError: one error type with a stable dotted code', () => {
  it('carries code, message, status (400 unless given), data and cause', () => {
    const cause = new Error('driver');
    const error = new AppError('store.conflict', 'userName is already taken', { status: 409, data: { field: 'userName' }, cause });
    expect(error).toMatchObject({ name: 'AppError', code: 'store.conflict', message: 'userName is already taken', status: 409, data: { field: 'userName' }, cause });
    expect(new AppError('audit.invalid_limit', 'bad')).toMatchObject({ status: 400, data: {} });
    expect(new AppError('x.y', 'no cause')).not.toHaveProperty('cause');
  });

  it('isAppError matches a code and the codes under it, never a longer name', () => {
    const error = new AppError('store.conflict', 'taken');
    expect(isAppError(error)).toBe(true);
    expect(isAppError(error, 'store')).toBe(true);
    expect(isAppError(error, 'store.conflict')).toBe(true);
    expect(isAppError(error, 'store.unavailable')).toBe(false);
    expect(isAppError(new AppError('storex.conflict', 'x'), 'store')).toBe(false);
    expect(isAppError(new AppError('store.conflict_field', 'x'), 'store.conflict')).toBe(false);
    expect(isAppError(new Error('store.conflict'), 'store')).toBe(false);
    expect(isAppError({ code: 'store.conflict' }, 'store')).toBe(false);
  });

  it("entryForCode finds a code's entry, else its nearest family's", () => {
    const table = { store: 'family', 'store.unavailable': 'outage' };
    expect(entryForCode(table, 'store.unavailable')).toBe('outage');
    expect(entryForCode(table, 'store.unavailable.queue_full')).toBe('outage');
    expect(entryForCode(table, 'store.not_found')).toBe('family');
    expect(entryForCode(table, 'scim.not_found')).toBeUndefined();
    expect(entryForCode(table, 'toString')).toBeUndefined();
  });

  it('assertThat throws the AppError when the condition fails, and nothing otherwise', () => {
    expect(() => assertThat(true, 'support_account.invalid_name', 'never')).not.toThrow();
    expect(() => assertThat('', 'support_account.invalid_name', 'A name is 1 to 64 letters', { status: 422 })).toThrow(
      expect.objectContaining({ code: 'support_account.invalid_name', message: 'A name is 1 to 64 letters', status: 422 }),
    );
  });
});
