/**
 * IMP-1 at scale: a CSV of N rows (default 100k) checked (dry run) and applied through the admin
 * API on each store, the directory holding N/10 users pushed from Entra.
 *   npx tsx bench/import-bench.ts [--store sqlite|mongodb|both] [--rows 100000]
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { startTestService, type StoreKind } from '../test/support/test-service.js';
import { startMongoServer } from '../test/support/mongo-server.js';

const { values } = parseArgs({ options: { store: { type: 'string', default: 'both' }, rows: { type: 'string', default: '100000' } } });
const ROWS = Number(values.rows);

function csvOf(rows: number): string {
  const lines = ['userName,firstName,lastName,email,location,extension,did,licenses'];
  for (let i = 0; i < rows; i++) lines.push(`imp${i},First${i},Last${i},imp${i}@bench.example,Seattle,${100000 + i},+1206${String(i).padStart(7, '0')},voice-standard`);
  return `${lines.join('\n')}\n`;
}

async function benchStore(kind: StoreKind, mongoUri: () => string): Promise<void> {
  const service = await startTestService(kind, { LOG_LEVEL: 'warn' }, mongoUri);
  try {
    const registration = await service.registration('bench', { accountDomains: ['bench.example'], syncMode: { kind: 'on-demand' }, locationMap: { Seattle: 'loc-sea' }, licensing: { seats: { 'voice-standard': ROWS }, assignOnCreate: [] } });
    const now = new Date().toISOString();
    for (let i = 0; i < ROWS / 10; i++) {
      const userName = `dir${i}@bench.example`;
      await service.store.users.insert({ id: randomUUID(), registrationId: registration.id, userName, version: 1, created: now, lastModified: now, resource: { userName, emails: [{ value: userName, primary: true }] } });
    }
    const csv = csvOf(ROWS);
    for (const query of ['?dryRun=true', '']) {
      const started = performance.now();
      const answer = await service.admin.send('POST', '/registrations/bench/voice-users/import' + query, undefined, { raw: csv, headers: { 'content-type': 'text/csv' } });
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(JSON.stringify({ store: kind, rows: ROWS, csvMiB: +(csv.length / 2 ** 20).toFixed(1), run: query ? 'dry run' : 'apply', status: answer.status, seconds, counts: answer.body?.counts }));
    }
  } finally {
    await service.stop();
  }
}

async function main(): Promise<void> {
  const kinds: StoreKind[] = values.store === 'both' ? ['sqlite', 'mongodb'] : [values.store as StoreKind];
  const mongo = kinds.includes('mongodb') ? await startMongoServer() : undefined;
  try {
    for (const kind of kinds) await benchStore(kind, () => `${mongo!.uri.replace(/\/[^/]*$/, '')}/import${Date.now()}`);
  } finally {
    await mongo?.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
