import express, { type Response, type Router } from 'express';
import { AppError } from '../kernel/app-error.js';
import type { SupportAccountService } from '../console/support-account-service.js';
import type { AuditAction } from './audit-event.js';
import type { AuditSearch } from './audit-search.js';
import type { AuditRecorder } from './recorder.js';

export interface AuditAdminDeps {
  /** The audit search the console uses too (one per service, built in main.ts). */
  search: AuditSearch;
  /** The support accounts the console signs in with. */
  accounts: SupportAccountService;
  /** Records support-account changes made by operators. */
  recorder?: AuditRecorder;
}

/**
 * Admin API for the audit trail and support accounts (mounted under /admin/v1 behind the admin
 * token): the search the CLI uses, and support-account management. Passwords travel only in
 * request bodies and are stored as argon2id hashes.
 */
export function createAuditAdminRouter({ search, accounts, recorder }: AuditAdminDeps): Router {
  const router = express.Router();

  const audit = (res: Response, action: AuditAction, name: string, summary: string) =>
    void recorder?.record({ correlationId: res.locals.correlationId as string, actor: { kind: 'admin', subject: 'admin token' }, action, summary, outcome: { status: res.statusCode, success: true }, details: { supportAccount: name } });

  router.get('/audit/events', async (req, res) => {
    const { events, nextCursor } = await search.search(req.query);
    res.json({ events, ...(nextCursor ? { nextCursor } : {}) });
  });
  router.get('/audit/events/:id', async (req, res) => {
    const event = await search.get(req.params.id as string);
    if (!event) throw new AppError('audit.not_found', 'No audit event has this id', { status: 404 });
    res.json(event);
  });
  router.get('/support-accounts', async (_req, res) => {
    res.json(await accounts.list());
  });
  router.post('/support-accounts', async (req, res) => {
    const created = await accounts.create(req.body ?? {});
    res.status(201).json(created);
    audit(res, 'SupportAccount.Create', created.name, `created support account ${created.name} (${created.role})${created.registrations ? ` limited to ${created.registrations.map((r) => r.name ?? r.id).join(', ')}` : ''}`);
  });
  router.delete('/support-accounts/:name', async (req, res) => {
    const name = req.params.name as string;
    await accounts.remove(name);
    res.status(204).end();
    audit(res, 'SupportAccount.Delete', name, `deleted support account ${name}`);
  });
  router.post('/support-accounts/:name/password', async (req, res) => {
    const name = req.params.name as string;
    await accounts.setPassword(name, (req.body as { password?: unknown } | undefined)?.password);
    res.status(204).end();
    audit(res, 'SupportAccount.SetPassword', name, `changed the password of support account ${name}`);
  });
  return router;
}
