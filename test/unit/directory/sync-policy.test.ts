import { describe, expect, it } from 'vitest';
import { decideSync } from '../../../src/directory/sync-policy.js';
import { contextFor } from './context.js';

describe('sync policy: what follows a directory write, from the settings in the request context', () => {
  it.each([
    ['SYNC-1 just-in-time reconciles the changed users before the answer', { kind: 'just-in-time' } as const, { rule: 'SYNC-1', reconcileNow: true }],
    ['SYNC-2 on-demand waits for an administrator\'s Reconcile', { kind: 'on-demand' } as const, { rule: 'SYNC-2', reconcileNow: false }],
    ['SYNC-3 batched waits for the schedule', { kind: 'batched', intervalMinutes: 15 } as const, { rule: 'SYNC-3', reconcileNow: false }],
  ])('%s', (_title, syncMode, decision) => {
    expect(decideSync(contextFor('reg', syncMode))).toEqual(decision);
  });
});
