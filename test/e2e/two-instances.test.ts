import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, startTestService, type RegisteredClient, type TestService } from '../support/test-service.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import { createHttpsClient, type HttpsClient } from '../support/https-client.js';
import { entraUser } from './scim-fixtures.js';

const SUPPORT_PASSWORD = 'support staff passphrase 42';
const LICENSED = {
  accountDomains: ['contoso.example'],
  locationMap: { Seattle: 'loc-sea' },
  licensing: { seats: { 'voice-standard': 5 }, assignOnCreate: ['voice-standard'] },
};

const employee = (upn: string) => entraUser(upn, { addresses: [{ type: 'work', locality: 'Seattle' }] });

interface Instance {
  process: ServiceProcess;
  admin: HttpsClient;
  /** The support console, with no client certificate (it has its own sign-in). */
  console: HttpsClient;
  scim(client: RegisteredClient): HttpsClient;
}

/**
 * Issue 14, "safe with several instances on one database": two real service processes (`npm
 * start`'s main.ts) on one database, set up through a third instance in the test process.
 */
describe.each(STORE_KINDS)('two service processes on one database (%s store)', (kind) => {
  let setup: TestService;
  let instances: Instance[];

  beforeAll(async () => {
    setup = await startTestService(kind);
    const processes = await Promise.all([startServiceProcess(setup), startServiceProcess(setup)]);
    const ca = setup.ca.certificatePem;
    instances = processes.map((process) => ({
      process,
      admin: createHttpsClient(`${process.adminUrl}/admin/v1`, { ca, bearer: setup.adminToken }),
      console: createHttpsClient(`${process.adminUrl}/console`, { ca }),
      scim: (client) => createHttpsClient(process.scimUrl, { ca, cert: client.certificate.certificatePem, key: client.certificate.privateKeyPem }),
    }));
  }, 60_000);

  afterAll(async () => {
    for (const instance of instances ?? []) {
      instance.process.child.kill('SIGTERM');
      await instance.process.exited;
    }
    await setup?.stop();
  });

  it('SYNC-5 8 concurrent hand-made voice users competing for the last 3 seats across both processes → exactly 3 get one', async () => {
    await setup.registration('seats', LICENSED);
    const handMade = (n: number) => ({ userName: `desk${n}`, firstName: 'Desk', lastName: `${n}`, primaryEmail: `desk${n}@contoso.example`, locationId: 'loc-sea', licenses: ['voice-standard'] });
    for (const n of [1, 2]) expect((await instances[n % 2]!.admin.post('/registrations/seats/voice-users', handMade(n))).status).toBe(201);
    const answers = await Promise.all([3, 4, 5, 6, 7, 8, 9, 10].map((n) => instances[n % 2]!.admin.post('/registrations/seats/voice-users', handMade(n))));
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 201, 201, 409, 409, 409, 409, 409]);
    for (const refused of answers.filter((answer) => answer.status === 409)) expect(refused.body).toMatchObject({ code: 'voice_user.no_license_left', message: expect.stringContaining('all 5 seats are in use') });
    const registration = (await setup.store.registrations.findByName('seats'))!;
    expect(await setup.store.voiceUsers.countHolding(registration.id, 'voice-standard')).toBe(5);
    expect((await setup.store.seatCounters.used(registration.id, 'voice-standard'))?.used).toBe(5);
  });

  it('SYNC-1/SYNC-5 SCIM creates spread over both processes provision exactly the seats bought; the rest are reported, kept in the directory', async () => {
    const client = await setup.registration('spread', LICENSED);
    const scim = instances.map((instance) => instance.scim(client));
    const created = await Promise.all(Array.from({ length: 8 }, (_, n) => scim[n % 2]!.post('/Users', employee(`spread${n}@contoso.example`))));
    expect(created.map((answer) => answer.status)).toEqual(Array(8).fill(201));
    expect((await scim[0]!.get('/Users?count=0')).body.totalResults).toBe(8);
    const voiceUsers = await setup.store.voiceUsers.list(client.id);
    expect(voiceUsers).toHaveLength(5);
    expect(voiceUsers.every((voiceUser) => voiceUser.licenses.includes('voice-standard'))).toBe(true);
    expect((await setup.store.seatCounters.used(client.id, 'voice-standard'))?.used).toBe(5);
  });

  it('AUD-2 a console session begun on one process works on the other; a sign-out on either ends it on both', async () => {
    expect((await setup.admin.post('/support-accounts', { name: 'support-shared', password: SUPPORT_PASSWORD })).status).toBe(201);
    const [first, second] = instances as [Instance, Instance];
    const session = await signIn(first.console, 'support-shared', SUPPORT_PASSWORD);
    expect(session.status).toBe(303);
    const cookie = sessionCookie([session.headers['set-cookie'] ?? []].flat());
    const page = await second.console.get('/events', { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.text).toContain('Audit events');
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const signOut = await second.console.send('POST', '/logout', undefined, { raw: new URLSearchParams({ csrf }).toString(), headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' } });
    expect(signOut.status).toBe(303);
    const after = await first.console.get('/events', { headers: { cookie } });
    expect(after.status).toBe(303);
    expect(after.headers.location).toBe('/console/login');
  });

  it('AUD-2 failed sign-ins are counted across both processes: the sixth attempt is refused wherever it lands', async () => {
    expect((await setup.admin.post('/support-accounts', { name: 'support-guessed', password: SUPPORT_PASSWORD })).status).toBe(201);
    for (let attempt = 0; attempt < 5; attempt++) expect((await signIn(instances[attempt % 2]!.console, 'support-guessed', 'a wrong guess')).status).toBe(401);
    for (const instance of instances) {
      const refused = await signIn(instance.console, 'support-guessed', SUPPORT_PASSWORD);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    }
  });

  it('SYNC-3 a reconcile started from each process at once: one runs, the other answers 409 naming the run in progress', async () => {
    const client = await setup.registration('busy', { ...LICENSED, licensing: undefined, syncMode: { kind: 'on-demand' } });
    for (let n = 0; n < 150; n += 10) {
      const batch = await Promise.all(Array.from({ length: 10 }, (_, i) => client.scim.post('/Users', employee(`busy${n + i}@contoso.example`))));
      expect(batch.every((answer) => answer.status === 201)).toBe(true);
    }
    const answers = await Promise.all(instances.map((instance) => instance.admin.post('/registrations/busy/reconcile', {})));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    const [ran, refused] = answers[0]!.status === 200 ? answers : [answers[1]!, answers[0]!];
    expect(ran!.body.counts).toMatchObject({ create: 150, error: 0 });
    expect(refused!.body).toMatchObject({ code: 'reconcile.already_running', message: expect.stringMatching(/^a reconcile of busy is already running \(started \d{4}-\d\d-\d\dT[\d:.]+Z\)/) });
    expect(await setup.store.voiceUsers.list(client.id)).toHaveLength(150);
    // The lease is released when the run ends: the next run starts at once.
    expect((await instances[1]!.admin.post('/registrations/busy/reconcile', {})).body.counts).toMatchObject({ create: 0, error: 0 });
  }, 60_000);
});

async function signIn(console: HttpsClient, name: string, password: string) {
  const form = await console.get('/login');
  const loginCookie = [form.headers['set-cookie'] ?? []].flat().map((line) => line.split(';')[0]).join('; ');
  const csrf = /name="csrf" value="([^"]+)"/.exec(form.text)![1]!;
  return console.send('POST', '/login', undefined, {
    raw: new URLSearchParams({ name, password, csrf }).toString(),
    headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
  });
}

function sessionCookie(setCookie: string[]): string {
  const line = setCookie.find((cookie) => cookie.startsWith('__Host-support-session='));
  if (!line) throw new Error('no session cookie was set');
  return line.split(';')[0]!;
}
