import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, startTestService, type RegisteredClient, type TestService } from '../support/test-service.js';
import { entraUser } from './scim-fixtures.js';

const run = promisify(execFile);
const HEADER = 'User Name,First Name,Last Name,Email,Location,Extension,DID,Licenses';

describe.each(STORE_KINDS)('IMP-1 CSV bulk add through the admin API and the CLI (%s store)', (kind) => {
  let service: TestService;
  let client: RegisteredClient;
  const importCsv = (csv: string, query = '') =>
    service.admin.send('POST', `/registrations/fabrikam/voice-users/import${query}`, undefined, { raw: csv, headers: { 'content-type': 'text/csv' } });
  const voiceUserNames = async () => (await service.store.voiceUsers.list(client.id)).map((v) => v.userName).sort();

  beforeAll(async () => {
    service = await startTestService(kind);
    client = await service.registration('fabrikam', {
      accountDomains: ['fabrikam.example'],
      syncMode: { kind: 'on-demand' },
      locationMap: { Seattle: 'loc-sea', Oslo: 'loc-osl' },
      licensing: { seats: { 'voice-standard': 2 }, assignOnCreate: [] },
    });
    // Already in Azure AD (pushed by Entra, not yet reconciled): the vendor's bulk add missed exactly this.
    expect((await client.scim.post('/Users', entraUser('dana.lee@fabrikam.example'))).status).toBe(201);
    const handMade = await service.admin.post('/registrations/fabrikam/voice-users', { userName: 'bob', firstName: 'Bob', lastName: 'Ray', primaryEmail: 'bob@fabrikam.example', locationId: 'loc-sea', extension: '2001', licenses: ['voice-standard'] });
    expect(handMade.status, handMade.text).toBe(201);
  });
  afterAll(() => service.stop());

  const file = [
    HEADER,
    'amy,Amy,Ash,amy@fabrikam.example,Seattle,2101,,voice-standard', // row 2: valid
    'dana.lee,Dana,Lee,dana.lee@fabrikam.example,Seattle,,,', // row 3: in Azure AD already
    'carl,Carl,Cole,carl@fabrikam.example,Atlantis,,,', // row 4: unknown location
    'AMY,Amy,Again,amy2@fabrikam.example,Oslo,,,', // row 5: duplicate user name in the file
    'eve,Eve,Eng,eve@contoso.example,Oslo,,,', // row 6: not an account domain
    'finn,Finn,Fox,finn@fabrikam.example,Oslo,2001,,', // row 7: extension held by bob
    'gus,Gus,Gray,gus@fabrikam.example,Oslo,,,voice-standard', // row 8: valid, takes the last seat
    'hal,Hal,Hart,hal@fabrikam.example,Oslo,,,voice-standard', // row 9: no seat left
    'ivy,Ivy,Ives,not-an-email,Oslo,,,', // row 10: malformed email
  ].join('\n');

  it('IMP-1 the dry run lists every conflict with its row number and a sentence, and creates nothing', async () => {
    const dry = await importCsv(file, '?dryRun=true');
    expect(dry.status, dry.text).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, applied: false, counts: { rows: 9, valid: 1, conflicts: 8, created: 0 } });
    const byRow = Object.fromEntries(dry.body.conflicts.map((c: { row: number; problems: string[] }) => [c.row, c.problems.join(' | ')]));
    expect(Object.keys(byRow).map(Number)).toEqual([2, 3, 4, 5, 6, 7, 9, 10]);
    expect(byRow[2]).toContain('user name "amy" is also on row 5 of this file');
    expect(byRow[3]).toContain('user name "dana.lee" is already used by directory user dana.lee@fabrikam.example (from Azure AD)');
    expect(byRow[4]).toContain('location "Atlantis" is not in the account\'s location map');
    expect(byRow[6]).toContain("not in one of the account's domains");
    expect(byRow[7]).toContain('extension "2001" is already used by voice user bob');
    expect(byRow[9]).toContain('no "voice-standard" licence left (all 2 seats are in use)');
    expect(byRow[10]).toContain('email "not-an-email" is not an email address');
    expect(await voiceUserNames()).toEqual(['bob']);
  });

  it('IMP-1 applying a file with problems creates nothing by default, and only the valid rows with skipInvalid; a rerun changes nothing', async () => {
    const refused = await importCsv(file);
    expect(refused.body).toMatchObject({ applied: false, counts: { created: 0 } });
    expect(refused.body.summary).toContain('Nothing was created');
    expect(await voiceUserNames()).toEqual(['bob']);

    const applied = await importCsv(file, '?skipInvalid=true');
    expect(applied.body).toMatchObject({ applied: true, counts: { created: 1, failed: 0 } });
    expect(await voiceUserNames()).toEqual(['bob', 'gus']);
    const gus = (await service.store.voiceUsers.list(client.id)).find((v) => v.userName === 'gus')!;
    expect(gus).toMatchObject({ origin: 'portal', locationId: 'loc-osl', licenses: ['voice-standard'], primaryEmail: 'gus@fabrikam.example' });

    const rerun = await importCsv(file, '?skipInvalid=true');
    expect(rerun.body.counts).toMatchObject({ unchanged: 1, created: 0 });
    expect(await voiceUserNames()).toEqual(['bob', 'gus']);
    await service.service.audit.recorder.flush();
    const audit = await service.admin.get('/audit/events?registration=fabrikam&action=VoiceUser.*');
    expect(audit.body.events.filter((e: { rule?: string }) => e.rule === 'IMP-1')).toHaveLength(1);
  });

  it('IMP-1 a header without the required columns, a wrong media type and broken CSV are clear 4xx answers', async () => {
    const noHeader = await importCsv('name,mail\nx,y');
    expect(noHeader.status).toBe(400);
    expect(noHeader.body).toMatchObject({ code: 'import.bad_header', message: expect.stringContaining('lacks userName, firstName, lastName, email, location') });
    const json = await service.admin.post('/registrations/fabrikam/voice-users/import', { rows: [] });
    expect(json.status).toBe(415);
    const broken = await importCsv(`${HEADER}\n"amy,Amy`);
    expect(broken.status).toBe(400);
    expect(broken.body.code).toBe('import.bad_csv');
    const unknown = await service.admin.send('POST', '/registrations/nobody/voice-users/import', undefined, { raw: file, headers: { 'content-type': 'text/csv' } });
    expect(unknown.status).toBe(404);
  });

  it('IMP-1 the CLI checks with --dry-run (exit 1 on problems) and imports a clean file', async () => {
    const cli = (...args: string[]) =>
      run(process.execPath, ['bin/scim-voice-portal.js', ...args], { env: { ...process.env, ADMIN_URL: service.adminUrl, ADMIN_TOKEN: service.adminToken, ADMIN_CA_FILE: path.join(service.dir, 'ca.pem') } });
    const withProblems = path.join(service.dir, 'problems.csv');
    writeFileSync(withProblems, file);
    const failed = await cli('import-csv', '--registration', 'fabrikam', '--dry-run', withProblems).catch((error: { code: number; stdout: string; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 1 });
    expect(JSON.parse((failed as { stdout: string }).stdout).counts.conflicts).toBeGreaterThan(0);

    const clean = path.join(service.dir, 'clean.csv');
    writeFileSync(clean, [HEADER, 'kim,Kim,Kay,kim@fabrikam.example,Oslo,2300,+4722000000,'].join('\n'));
    const done = JSON.parse((await cli('import-csv', '--registration', 'fabrikam', clean)).stdout);
    expect(done).toMatchObject({ applied: true, counts: { created: 1 } });
    expect(await voiceUserNames()).toContain('kim');
  });
});
