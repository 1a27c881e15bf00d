import { describe, expect, it } from 'vitest';
import { reconcileRunEvent, voiceUserChangeEvent, voiceUserErrorEvent } from '../../../src/audit/voice-user-audit.js';
import type { VoiceUserRecord } from '../../../src/portal/portal-port.js';

const jane: VoiceUserRecord = {
  registrationId: 'reg-1',
  id: 'vu-1',
  userName: 'jane',
  firstName: 'Jane',
  lastName: 'Doe',
  primaryEmail: 'jane@contoso.com',
  additionalEmails: [],
  locationId: 'paris',
  extension: '1001',
  licenses: ['voice'],
  status: 'active',
  origin: 'provisioned',
  directoryUserId: 'dir-1',
  createdAt: '2026-11-01T00:00:00.000Z',
  updatedAt: '2026-11-01T00:00:00.000Z',
  version: 1,
};

describe('voice-user and reconcile events', () => {
  it('AUD-1: an update keeps before and after of the changed mapped fields only, with the rule and run', () => {
    const event = voiceUserChangeEvent('reg-1', { before: jane, after: { ...jane, firstName: 'Janet', status: 'deactivated', version: 2 } }, 'DEL-3', { runId: 'run-9', correlationId: 'c-9' });
    expect(event).toMatchObject({
      action: 'VoiceUser.Update',
      runId: 'run-9',
      correlationId: 'c-9',
      rule: 'DEL-3',
      actor: { kind: 'system', subject: 'reconcile' },
      subjectUser: { userName: 'jane', email: 'jane@contoso.com', directoryId: 'dir-1' },
      summary: 'update voice user jane: firstName "Jane" → "Janet"; status "active" → "deactivated"',
      details: { before: { firstName: 'Jane', status: 'active' }, after: { firstName: 'Janet', status: 'deactivated' } },
    });
  });

  it('DEL-5: a location change is a delete and a create, each with every mapped field', () => {
    const deleted = voiceUserChangeEvent('reg-1', { before: jane }, 'DEL-5');
    const created = voiceUserChangeEvent('reg-1', { after: { ...jane, id: 'vu-2', locationId: 'lyon' } }, 'DEL-5');
    expect(deleted).toMatchObject({ action: 'VoiceUser.Delete', summary: 'delete voice user jane', details: { before: { locationId: 'paris', extension: '1001' } } });
    expect(created).toMatchObject({ action: 'VoiceUser.Create', resourceId: 'vu-2', details: { after: { locationId: 'lyon' } } });
    expect(created.details).not.toHaveProperty('before');
  });

  it('DEL-6: a hand-made voice user taken over by a directory user is a Link', () => {
    const event = voiceUserChangeEvent('reg-1', { before: { ...jane, origin: 'portal', directoryUserId: undefined }, after: jane }, 'DEL-6');
    expect(event.action).toBe('VoiceUser.Link');
  });

  it('SYNC-5: a per-user error carries the message for support and fails', () => {
    const event = voiceUserErrorEvent('reg-1', { userName: 'jane', message: 'jane: location "Atlantis" is not mapped', rule: 'MAP-6' }, { runId: 'run-9' });
    expect(event).toMatchObject({ action: 'VoiceUser.Error', summary: 'jane not provisioned: location "Atlantis" is not mapped', outcome: { status: 422, success: false, detail: 'location "Atlantis" is not mapped' }, rule: 'MAP-6', runId: 'run-9' });
  });

  it('SYNC-5: a run with per-user errors is found among failures', () => {
    const event = reconcileRunEvent('reg-1', { trigger: 'on-demand', dryRun: true, counts: { create: 3, update: 1 }, errors: 2, durationMs: 40 }, { runId: 'run-9' });
    expect(event).toMatchObject({ action: 'Reconcile.Run', summary: 'reconcile (on-demand, dry run): 3 create, 1 update, 2 errors', outcome: { status: 207, success: false } });
    const quiet = reconcileRunEvent('reg-1', { trigger: 'batched', dryRun: false, counts: { create: 0, error: 0 }, errors: 0, durationMs: 5 });
    expect(quiet).toMatchObject({ summary: 'reconcile (batched): nothing to change', outcome: { status: 200, success: true } });
  });

  it('SYNC-4: a run stopped by a database error says so, with what it had done and what to do', () => {
    const event = reconcileRunEvent('reg-1', { trigger: 'on-demand', dryRun: false, counts: { create: 20, error: 0 }, errors: 0, durationMs: 900, stopped: 'MongoDB is unavailable' });
    expect(event).toMatchObject({
      summary: 'reconcile (on-demand) stopped part-way (MongoDB is unavailable) after 20 create; run it again to finish',
      outcome: { status: 503, success: false },
      details: { stopped: 'MongoDB is unavailable' },
    });
  });
});
