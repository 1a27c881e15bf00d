import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mongoUriForTest } from '../support/mongo-uri.js';
import { STORE_KINDS, startTestService, type RegisteredClient, type TestService } from '../support/test-service.js';
import { startOwnMongoServer, type MongoServer } from '../support/mongo-server.js';
import { entraGroup, entraUser, patch } from './scim-fixtures.js';

describe.each(STORE_KINDS)('A failed write leaves the resource writable (%s store)', (kind) => {
  let service: TestService;
  let client: RegisteredClient;
  beforeAll(async () => {
    service = await startTestService(kind);
    client = await service.registration('contoso');
  });
  afterAll(() => service.stop());

  it('a PATCH renaming a user to a taken userName is 409 uniqueness; the next PATCH and PUT of that user succeed at once', async () => {
    await client.scim.post('/Users', entraUser('taken@contoso.example'));
    const renamed = (await client.scim.post('/Users', entraUser('renamed@contoso.example'))).body;
    const clash = await client.scim.patch(`/Users/${renamed.id}`, patch({ op: 'replace', path: 'userName', value: 'TAKEN@contoso.example' }));
    expect(clash.status, clash.text).toBe(409);
    expect(clash.body.scimType).toBe('uniqueness');
    const next = await client.scim.patch(`/Users/${renamed.id}`, patch({ op: 'replace', path: 'title', value: 'Engineer' }));
    expect(next.status, next.text).toBe(204);
    const put = await client.scim.put(`/Users/${renamed.id}`, { ...entraUser('renamed@contoso.example'), title: 'Lead' });
    expect(put.status, put.text).toBe(200);
    expect(put.body.title).toBe('Lead');
    expect((await client.scim.get(`/Users/${renamed.id}?attributes=title`)).body.title).toBe('Lead');
  });

  it('32 concurrent member PATCHes on one group: each answers the ETag of its own write, and the membership is exact', async () => {
    const members: string[] = [];
    for (let n = 0; n < 32; n++) members.push((await client.scim.post('/Users', entraUser(`busy.${n}@contoso.example`))).body.id);
    const group = (await client.scim.post('/Groups', entraGroup('Busy', []))).body;
    const answers = await Promise.all(members.map((value) => client.scim.patch(`/Groups/${group.id}`, patch({ op: 'add', path: 'members', value: [{ value }] }))));
    expect(answers.map((answer) => answer.status)).toEqual(members.map(() => 204));
    const etags = answers.map((answer) => answer.headers.etag);
    expect(new Set(etags).size).toBe(32);
    const final = await client.scim.get(`/Groups/${group.id}`);
    expect(final.body.members.map((m: { value: string }) => m.value).sort()).toEqual([...members].sort());
    expect(etags).toContain(final.headers.etag);
  });
});

describe('A frozen database (process stopped, not closed) answers 503 with Retry-After well before Entra gives up (60 s)', () => {
  let database: MongoServer;
  let service: TestService;
  let client: RegisteredClient;
  let userId: string;

  beforeAll(async () => {
    database = await startOwnMongoServer();
    service = await startTestService('mongodb', {}, () => `${database.uri}frozen`);
    client = await service.registration('contoso');
    userId = (await client.scim.post('/Users', entraUser('frozen@contoso.example'))).body.id;
  }, 120_000);
  afterAll(async () => {
    if (database.pid) process.kill(database.pid, 'SIGCONT');
    await service.stop();
    await database.stop();
  });

  it('GET and PATCH answer 503 within the store deadline, and the service answers again once the database runs', async () => {
    expect(database.pid, 'the test database runs in a process of its own').toBeDefined();
    process.kill(database.pid!, 'SIGSTOP');
    const started = Date.now();
    const [read, write] = await Promise.all([client.scim.get(`/Users/${userId}`), client.scim.patch(`/Users/${userId}`, patch({ op: 'replace', path: 'title', value: 'Frozen' }))]);
    const elapsed = Date.now() - started;
    for (const response of [read, write]) {
      expect(response.status, response.text).toBe(503);
      expect(response.headers['retry-after']).toBeDefined();
    }
    expect(elapsed).toBeLessThan(30_000);
    process.kill(database.pid!, 'SIGCONT');
    let answer = await client.scim.get(`/Users/${userId}`);
    for (let tries = 0; answer.status !== 200 && tries < 100; tries++) answer = await client.scim.get(`/Users/${userId}`);
    expect(answer.status).toBe(200);
  }, 60_000);
});

/** `npm start` on the suite's MongoDB-protocol server: what its first log line says about the store, or how it fails. */
async function startMain(env: Record<string, string>): Promise<{ started?: Record<string, unknown>; exitCode?: number | null; output: string }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'write-mode-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', SCIM_PORT: '0', ADMIN_PORT: '0', DATA_DIR: dataDir, MONGODB_URI: mongoUriForTest(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  try {
    return await new Promise((resolve) => {
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        const line = output.split('\n').find((text) => text.includes('"service started"'));
        if (line) resolve({ started: JSON.parse(line), output });
      };
      child.stdout!.on('data', read);
      child.stderr!.on('data', read);
      child.once('exit', (exitCode) => resolve({ exitCode, output }));
    });
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('The start-up log names the MongoDB write mode; atomic mode is refused where the server fails its check', () => {
  it('auto: FerretDB gets version claims and the log says why; MongoDB gets atomic updates', async () => {
    const { started, output } = await startMain({});
    expect(started, output).toBeDefined();
    const store = started!.store as Record<string, string>;
    expect(store).toMatchObject({ kind: 'mongodb', writeMode: expect.stringMatching(/^(atomic|claimed)$/), writeModeReason: expect.any(String), server: expect.any(String) });
    expect(store.writeMode).toBe(store.server!.startsWith('FerretDB') ? 'claimed' : 'atomic');
  }, 60_000);

  it('MONGODB_WRITE_MODE=atomic on FerretDB stops the start with the reason; elsewhere it starts in atomic mode', async () => {
    const { started, exitCode, output } = await startMain({ MONGODB_WRITE_MODE: 'atomic' });
    if (started) {
      expect((started.store as Record<string, string>).server).not.toMatch(/^FerretDB/);
      expect((started.store as Record<string, string>).writeMode).toBe('atomic');
    } else {
      expect(exitCode).toBe(1);
      expect(output).toMatch(/MONGODB_WRITE_MODE=atomic refused: FerretDB v[\d.]+ does not apply an update's filter atomically/);
    }
  }, 60_000);
});
