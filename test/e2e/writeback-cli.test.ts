import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/test-service.js';

const run = promisify(execFile);

describe('TWO-1 from the command line: configuring two-way and reading the backlog', () => {
  let service: TestService;
  const cli = async (...args: string[]) =>
    JSON.parse(
      (
        await run(process.execPath, ['bin/scim-voice-portal.js', ...args], {
          env: { ...process.env, ADMIN_URL: service.adminUrl, ADMIN_TOKEN: service.adminToken, ADMIN_CA_FILE: path.join(service.dir, 'ca.pem') },
        })
      ).stdout,
    );
  beforeAll(async () => {
    service = await startTestService('sqlite');
  });
  afterAll(() => service.stop());

  it('TWO-1 a registration is made two-way with its app, retargeted one setting at a time, and its outbox shown', async () => {
    const [tenant, client] = [randomUUID(), randomUUID()];
    const created = await cli(
      'registrations', 'create', '--name', 'litware', '--portal-account', 'LW-1', '--domains', 'litware.example', '--sync-direction', 'two-way',
      '--write-back-tenant', tenant, '--write-back-client', client, '--write-back-cert', '/etc/voice-portal/graph-app.pem', '--write-back-key', '/etc/voice-portal/graph-app-key.pem',
    );
    expect(created.settings).toMatchObject({
      syncDirection: 'two-way',
      writeBack: { tenantId: tenant, clientId: client, certificateFile: '/etc/voice-portal/graph-app.pem', privateKeyFile: '/etc/voice-portal/graph-app-key.pem', extensionAttribute: 'onPremisesExtensionAttributes.extensionAttribute1', didAttribute: 'businessPhones' },
    });
    const updated = await cli('registrations', 'update', 'litware', '--write-extension-to', 'extension_0123456789abcdef0123456789abcdef_voiceExtension');
    expect(updated.settings.writeBack).toEqual({ ...created.settings.writeBack, extensionAttribute: 'extension_0123456789abcdef0123456789abcdef_voiceExtension' });
    expect(await cli('outbox', 'litware')).toEqual({ registrationId: created.id, registration: 'litware', pending: 0, entries: [] });
  });
});
