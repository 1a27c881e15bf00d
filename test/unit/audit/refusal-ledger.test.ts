import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import Database from 'better-sqlite3';
import express from 'express';
import winston from 'winston';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../src/audit/audit-event.js';
import { createAuditRecorder } from '../../../src/audit/recorder.js';
import { createRefusalLedger, REFUSAL_LIMITS, type RefusalLedger } from '../../../src/audit/refusal-ledger.js';
import { refusedRequestOf } from '../../../src/http/audit-context.js';
import { correlationId } from '../../../src/http/request-context.js';
import { createAuditTables, SqliteAuditLog } from '../../../src/persistence/sqlite/audit-log.js';
import { SqliteConnection } from '../../../src/persistence/sqlite/connection.js';

const MAX_PER_ADDRESS = 3;
const MAX_SAMPLED_KEYS = 5;
const WINDOW_MS = 60_000;

/** A real ledger on a real audit store behind a real HTTP server; every request is refused. */
describe('refusal ledger (AUD-1 within bounds)', () => {
  const db = new Database(':memory:');
  createAuditTables(db);
  const connection = new SqliteConnection(db);
  const auditLog = new SqliteAuditLog(connection);
  const recorder = createAuditRecorder({ log: auditLog, logger: winston.createLogger({ silent: true }), flushIntervalMs: 1 });
  let clock = Date.parse('2026-11-26T00:00:00Z');
  let ledger: RefusalLedger;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    ledger = createRefusalLedger({ recorder, limits: { maxPerAddress: MAX_PER_ADDRESS, maxSampledKeys: MAX_SAMPLED_KEYS, windowMs: WINDOW_MS }, now: () => clock });
    const app = express();
    app.use(correlationId);
    app.use((req, res) => {
      const fingerprint256 = req.get('x-fingerprint');
      const tally = ledger.note(refusedRequestOf(req, res), { reason: 'certificate-not-bound', status: 401, limitable: true, detail: req.get('x-detail'), subject: req.get('x-subject'), fingerprint256 });
      res.status(tally.limited ? 429 : 401).json(tally);
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    ledger.close();
    await recorder.close();
    await new Promise((resolve) => server.close(resolve));
  });

  const refused = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(base + path, { headers });
    return { status: response.status, tally: (await response.json()) as { fromAddress: number; limited: boolean; retryAfterMs: number; recorded: boolean } };
  };
  const storedRefusals = async (): Promise<AuditEvent[]> => {
    await recorder.flush();
    return (await auditLog.search({ actions: ['Auth.Refused'], limit: 500 })).events;
  };
  const nextWindow = () => {
    clock += WINDOW_MS;
  };

  it('AUD-1: 400 refusals with 12 kB paths and long headers store one event of excerpts, then one count when the window ends', async () => {
    const huge = 'x'.repeat(12_000);
    const long = 'y'.repeat(1_000);
    for (let i = 0; i < 400; i += 1) await refused(`/scim/v2/Users/${huge}`, { 'x-detail': long, 'x-subject': long, 'user-agent': long });
    const first = await storedRefusals();
    expect(first).toHaveLength(1);
    expect(JSON.stringify(first[0]).length).toBeLessThan(2_000);
    expect(first[0]).toMatchObject({ outcome: { status: 401, success: false }, details: { reason: 'certificate-not-bound', path: expect.stringContaining('…(12015 chars)') } });
    nextWindow();
    await refused('/scim/v2/Users');
    const stored = await storedRefusals();
    const repeats = stored.find((event) => event.details?.repeated !== undefined);
    expect(repeats).toMatchObject({ details: { repeated: 399, reason: 'certificate-not-bound', address: expect.stringContaining('127.0.0.1') } });
    expect(repeats!.summary).toMatch(/^399 more refused requests from .*127\.0\.0\.1 \(certificate-not-bound\)/);
    expect(stored).toHaveLength(3);
    expect(JSON.stringify(stored).length).toBeLessThan(REFUSAL_LIMITS.excerptChars * 40);
  });

  it('an address over its limit is answered 429 until its window ends; the count starts again after', async () => {
    nextWindow();
    const statuses = [];
    for (let i = 0; i < MAX_PER_ADDRESS + 2; i += 1) statuses.push((await refused('/scim/v2/Users')).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    clock += 20_000;
    expect((await refused('/scim/v2/Users')).tally).toMatchObject({ limited: true, retryAfterMs: WINDOW_MS - 20_000 });
    clock += WINDOW_MS - 20_000;
    expect((await refused('/scim/v2/Users')).tally).toMatchObject({ limited: false, fromAddress: 1 });
  });

  it('kinds beyond the sampled ones are only counted, per reason, so many certificates cannot fill the store either', async () => {
    nextWindow();
    const before = (await storedRefusals()).length;
    for (let i = 0; i < 20; i += 1) await refused('/scim/v2/Users', { 'x-fingerprint': `AA:${i}` });
    const sampled = (await storedRefusals()).length - before;
    expect(sampled).toBe(MAX_SAMPLED_KEYS);
    nextWindow();
    await refused('/scim/v2/Users');
    const overflow = (await storedRefusals()).find((event) => event.details?.address === 'other addresses');
    expect(overflow).toMatchObject({ details: { repeated: 20 - MAX_SAMPLED_KEYS, reason: 'certificate-not-bound' } });
  });
});
