import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, startTestService, type TestService } from '../support/test-service.js';
import { entraUser, patch } from './scim-fixtures.js';

const USER_PASSWORD = 'Pa55word-that-must-never-be-kept';
const SUPPORT_PASSWORD = 'support-secret-passphrase-1234';

describe.each(STORE_KINDS)('AUD-3 / DATA-2: no secret is written anywhere (%s store)', (kind) => {
  let service: TestService;
  const secrets: string[] = [USER_PASSWORD, SUPPORT_PASSWORD];

  beforeAll(async () => {
    service = await startTestService(kind);
    secrets.push(service.adminToken);
    const client = await service.registration('contoso');
    secrets.push(client.certificate.privateKeyPem.split('\n')[1]!);
    const token = (await service.admin.post('/registrations/contoso/tokens', {})).body.token as string;
    secrets.push(token, token.split('_').slice(2).join('_'));
    const viaToken = service.scimClient({ bearer: token });
    const user = (await viaToken.post('/Users', { ...entraUser('secretive@contoso.example'), password: USER_PASSWORD })).body;
    await viaToken.patch(`/Users/${user.id}`, patch({ op: 'replace', path: 'password', value: USER_PASSWORD }));
    await viaToken.put(`/Users/${user.id}`, { ...entraUser('secretive@contoso.example'), password: USER_PASSWORD });
    await service.scimClient({ bearer: `${token}x` }).get('/Users');
    await service.admin.post('/support-accounts', { name: 'support1', password: SUPPORT_PASSWORD });
    await service.service.audit.recorder.flush();
  });
  afterAll(() => service.stop());

  it('DATA-2 a password sent by a client is never returned', async () => {
    const client = service.scimClient({ cert: (await service.registration('reader')).certificate });
    expect((await client.get('/Users')).text).not.toContain(USER_PASSWORD);
  });

  it('AUD-3 the operational log, the audit trail and the database files hold none of the secrets used', async () => {
    const written = [readFileSync(service.logFile, 'utf8'), JSON.stringify((await service.admin.get('/audit/events?limit=500')).body)];
    if (kind === 'sqlite') {
      for (const file of ['scim.db', 'scim.db-wal']) written.push(readFileSync(path.join(service.dir, file)).toString('latin1'));
    }
    for (const text of written) {
      expect(text.length).toBeGreaterThan(0);
      // Only the neighbourhood of a leak is printed, so a failure does not dump the whole database.
      for (const secret of secrets) expect(text.slice(Math.max(0, text.indexOf(secret) - 300), text.indexOf(secret) + 50), 'a secret leaked').not.toContain(secret);
    }
  });
});
