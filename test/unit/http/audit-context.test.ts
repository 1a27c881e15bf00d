import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import winston from 'winston';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../src/audit/audit-event.js';
import type { AuditLog } from '../../../src/audit/audit-log.js';
import { createAuditRecorder, type AuditRecorder } from '../../../src/audit/recorder.js';
import { createRefusalLedger } from '../../../src/audit/refusal-ledger.js';
import { auditedAs, createScimAudit, scimAudit } from '../../../src/http/audit-context.js';
import { createScimErrorHandler } from '../../../src/http/error-handler.js';
import { jsonBody } from '../../../src/http/json-body.js';
import { correlationId } from '../../../src/http/request-context.js';
import { scimError } from '../../../src/scim/errors.js';
import { AppError } from '../../../src/kernel/app-error.js';

const BEARER_SECRET = 'reg1.s3cr3t-bearer-value-never-logged';
const PASSWORD = 'Pa55word-never-audited!';

const silent = winston.createLogger({ silent: true });

/**
 * A SCIM-shaped app: the real correlation id, audit context, body reader and error handler, a
 * stand-in authenticator, and routes that tell the audit context what they did, as the SCIM router does.
 */
function scimLikeApp(recorder: AuditRecorder) {
  const app = express();
  const audit = createScimAudit({ recorder, refusals: createRefusalLedger({ recorder }), logger: silent });
  app.use(correlationId);
  app.use(audit.scimRequests);
  app.use('/scim/v2', (req, res, next) => {
    if (req.get('Authorization') !== 'Bearer good') {
      audit.onRefusedAuth(req, res, { reason: 'bearer-token-unknown', detail: 'token id reg1' });
      return next(scimError(401, undefined, 'Authentication required'));
    }
    scimAudit(res).authenticated({ registration: { id: 'reg-1' }, caller: { method: 'bearer-token', subject: 'token tok-1', tokenId: 'tok-1' } });
    next();
  });
  // No depth budget here, so that a body too deep to serialise reaches the audit.
  const body = jsonBody({ limit: '10mb', type: () => true, maxDepth: 100_000 });
  app.post('/scim/v2/Users', auditedAs('User.Create', 'User'), body, (req, res) => {
    if (req.body.userName === 'taken@contoso.com') throw scimError(409, 'uniqueness', 'userName is already taken');
    const created = { id: 'new-id', userName: req.body.userName };
    scimAudit(res).wrote(created);
    res.status(201).type('application/scim+json').send(JSON.stringify(created));
  });
  app.put('/scim/v2/Users/:id', auditedAs('User.Replace', 'User'), () => {
    throw new AppError('directory.example_refusal', 'refused for the test', { status: 422 });
  });
  app.delete('/scim/v2/Users/:id', auditedAs('User.Delete', 'User'), (_req, res) => {
    scimAudit(res).wrote({ userName: 'gone@contoso.com', emails: [{ value: 'gone@fabrikam.example', primary: true }] });
    res.status(204).end();
  });
  app.use(createScimErrorHandler(silent));
  return app;
}

describe('auditing SCIM requests', () => {
  const written: AuditEvent[] = [];
  const log: AuditLog = { append: async (events) => void written.push(...events), search: async () => ({ events: [] }), get: async () => null, purgeOlderThan: async () => 0 };
  const recorder = createAuditRecorder({ log, logger: winston.createLogger({ silent: true }), flushIntervalMs: 1 });
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = scimLikeApp(recorder).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  async function send(method: string, path: string, body?: unknown, authorization = 'Bearer good') {
    const response = await fetch(base + path, { method, headers: { authorization, 'client-request-id': `req-${written.length}-${Math.random()}` }, body: body ? JSON.stringify(body) : undefined });
    await response.text();
    await recorder.flush();
    const correlation = response.headers.get('x-request-id');
    return written.filter((event) => event.correlationId === correlation);
  }

  it('AUD-1: a create is recorded with caller, registration, new id, subject, duration and correlation id', async () => {
    const [event, ...others] = await send('POST', '/Users', { userName: 'jane@contoso.com', displayName: 'Jane Doe', password: PASSWORD });
    expect(others).toEqual([]);
    expect(event).toMatchObject({
      registrationId: 'reg-1',
      actor: { kind: 'bearer-token', subject: 'token tok-1', tokenId: 'tok-1' },
      action: 'User.Create',
      resourceType: 'User',
      resourceId: 'new-id',
      subjectUser: { userName: 'jane@contoso.com', directoryId: 'new-id' },
      summary: 'POST user jane@contoso.com: displayName "Jane Doe"',
      outcome: { status: 201, success: true },
      details: { method: 'POST', request: { userName: 'jane@contoso.com', password: '[redacted]' } },
    });
    expect(event!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('AUD-1: a SCIM error keeps its status, scimType and detail', async () => {
    const [event] = await send('POST', '/Users', { userName: 'taken@contoso.com' });
    expect(event!.outcome).toEqual({ status: 409, success: false, scimType: 'uniqueness', detail: 'userName is already taken' });
  });

  it('AUD-1: the details carry the code of the error that answered', async () => {
    const [event] = await send('PUT', '/Users/u-7', { userName: 'jane@contoso.com' });
    expect(event).toMatchObject({ action: 'User.Replace', resourceId: 'u-7', outcome: { success: false }, details: { errorCode: 'directory.example_refusal' } });
  });

  it('AUD-1: a large body is kept as its size only; the summary still counts the members', async () => {
    const members = Array.from({ length: 2000 }, (_, i) => ({ value: `user-${i}` }));
    const [event] = await send('POST', '/Users', { userName: 'big@contoso.com', displayName: 'Big', members });
    expect(event!.details!.request).toEqual({ truncated: true, bytes: expect.any(Number) });
    expect(event!.summary).toBe('POST user big@contoso.com: displayName "Big"; members 2000');
  });

  it('AUD-1: a body too deep to serialise (sent chunked) is audited with its summary; the audit hook does not throw', async () => {
    const deep = `${'{"value":'.repeat(10_000)}"x"${'}'.repeat(10_000)}`;
    const raw = `{"userName":"deep@contoso.com","displayName":${deep}}`;
    const chunked = new ReadableStream({ start: (controller) => (controller.enqueue(new TextEncoder().encode(raw)), controller.close()) });
    const response = await fetch(`${base}/Users`, { method: 'POST', headers: { authorization: 'Bearer good' }, body: chunked, duplex: 'half' } as RequestInit);
    expect(response.status).toBe(201);
    await recorder.flush();
    const [event] = written.filter((recorded) => recorded.correlationId === response.headers.get('x-request-id'));
    expect(event).toMatchObject({ action: 'User.Create', summary: 'POST user deep@contoso.com: displayName (unreadable value)', details: { request: { truncated: true } } });
  });

  it('AUD-1: a handler can name the user a DELETE was about, without a body to read it from', async () => {
    const [event] = await send('DELETE', '/Users/u-9');
    expect(event).toMatchObject({
      action: 'User.Delete',
      resourceId: 'u-9',
      summary: 'DELETE user gone@contoso.com',
      subjectUser: { userName: 'gone@contoso.com', email: 'gone@fabrikam.example', directoryId: 'u-9' },
      outcome: { status: 204 },
    });
  });

  it('AUD-3: a refused credential is one Auth.Refused event with the reason, never the secret', async () => {
    const events = await send('GET', '/Users', undefined, `Bearer ${BEARER_SECRET}`);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: 'Auth.Refused', actor: { kind: 'bearer-token', subject: 'unknown' }, outcome: { status: 401, success: false, detail: 'bearer-token-unknown: token id reg1' } });
  });

  it('AUD-3: nothing written contains a password or bearer secret', () => {
    const everything = JSON.stringify(written);
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(BEARER_SECRET);
    expect(everything).not.toContain('Bearer good');
  });
});

describe('the audit hook never throws out of a request', () => {
  it('an event the recorder refuses is logged, and the service keeps answering', async () => {
    const errors: string[] = [];
    const logger = winston.createLogger({ transports: [new winston.transports.Console({ silent: true })] });
    logger.on('data', (entry: { message: string }) => errors.push(entry.message));
    const closed = createAuditRecorder({ log: { append: async () => undefined, search: async () => ({ events: [] }), get: async () => null, purgeOlderThan: async () => 0 }, logger });
    await closed.close();
    const app = express();
    const audit = createScimAudit({ recorder: closed, refusals: createRefusalLedger({ recorder: closed }), logger });
    app.use(correlationId, audit.scimRequests);
    app.get('/scim/v2/Users', auditedAs('User.List', 'User'), (_req, res) => {
      scimAudit(res).authenticated({ registration: { id: 'reg-1' }, caller: { method: 'client-certificate', subject: 'CN=entra' } });
      res.status(200).end();
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2/Users`;
    try {
      expect((await fetch(url)).status).toBe(200);
      expect((await fetch(url)).status).toBe(200);
      await expect.poll(() => errors.filter((message) => message === 'audit event not recorded').length).toBe(2);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
