import type { Connection, Model } from 'mongoose';
import { Schema } from 'mongoose';
import { subjectKeys, withoutUndefined, type AuditEvent } from '../../audit/audit-event.js';
import { decodeCursor, pageSizeOf, prefixEnd, toPage, type AuditLog, type AuditPage, type AuditQuery } from '../../audit/audit-log.js';
import type { SupportAccountRecord, SupportAccounts } from '../../console/support-accounts.js';
import { notFound } from '../../kernel/store-errors.js';
import { isDuplicateKey, mongoSafely } from './mongo-errors.js';

/**
 * Searchable fields sit at the top level with indexes; the event itself is kept as JSON text
 * because SCIM bodies in `details` carry keys (URNs with dots, `$ref`) that not every
 * MongoDB-protocol server accepts as field names.
 */
interface AuditDocument {
  _id: string;
  time: Date;
  registrationId?: string;
  action: string;
  success: boolean;
  correlationId: string;
  runId?: string;
  userName?: string;
  email?: string;
  directoryId?: string;
  doc: string;
}

interface SupportAccountDocument {
  _id: string;
  account: SupportAccountRecord;
}

export function auditModels(connection: Connection) {
  const schema = new Schema<AuditDocument>(
    {
      _id: String,
      time: { type: Date, required: true },
      registrationId: String,
      action: { type: String, required: true },
      success: { type: Boolean, required: true },
      correlationId: { type: String, required: true },
      runId: String,
      userName: String,
      email: String,
      directoryId: String,
      doc: { type: String, required: true },
    },
    { collection: 'audit_events', versionKey: false },
  );
  schema.index({ time: -1, _id: -1 });
  schema.index({ registrationId: 1, time: -1, _id: -1 });
  schema.index({ userName: 1, time: -1 });
  schema.index({ email: 1, time: -1 });
  schema.index({ directoryId: 1, time: -1 });
  schema.index({ action: 1, time: -1, _id: -1 });
  schema.index({ correlationId: 1 });
  schema.index({ runId: 1 }, { sparse: true });
  const auditEvents = connection.model<AuditDocument>('AuditEvent', schema);
  const supportAccounts = connection.model<SupportAccountDocument>(
    'SupportAccount',
    new Schema<SupportAccountDocument>({ _id: String, account: Schema.Types.Mixed }, { collection: 'support_accounts', versionKey: false }),
  );
  return { auditEvents, supportAccounts };
}

export class MongoAuditLog implements AuditLog {
  constructor(private readonly model: Model<AuditDocument>) {}

  append(events: AuditEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return mongoSafely(async () => {
      try {
        await this.model.insertMany(events.map(documentOf), { ordered: false, lean: true });
      } catch (error) {
        // A retried batch may hold events a previous attempt already wrote: those are done.
        if (!onlyDuplicates(error)) throw error;
      }
    });
  }

  search(query: AuditQuery): Promise<AuditPage> {
    if (query.registrationIds?.length === 0) return Promise.resolve({ events: [] });
    return mongoSafely(async () => {
      const pageSize = pageSizeOf(query);
      const rows = await this.model
        .find(filterOf(query), { doc: 1 })
        .sort({ time: -1, _id: -1 })
        .limit(pageSize + 1)
        .lean();
      return toPage(rows.map((row) => JSON.parse(row.doc) as AuditEvent), pageSize);
    });
  }

  get(id: string): Promise<AuditEvent | null> {
    return mongoSafely(async () => {
      const row = await this.model.findById(id, { doc: 1 }).lean();
      return row ? (JSON.parse(row.doc) as AuditEvent) : null;
    });
  }

  purgeOlderThan(date: Date): Promise<number> {
    return mongoSafely(async () => (await this.model.deleteMany({ time: { $lt: date } })).deletedCount);
  }
}

function documentOf(event: AuditEvent): AuditDocument {
  const keys = subjectKeys(event);
  return withoutUndefined({
    _id: event.id,
    time: new Date(event.time),
    registrationId: event.registrationId,
    action: event.action,
    success: event.outcome.success,
    correlationId: event.correlationId,
    runId: event.runId,
    userName: keys.userName,
    email: keys.email,
    directoryId: keys.directoryId,
    doc: JSON.stringify(event),
  });
}

function onlyDuplicates(error: unknown): boolean {
  const writeErrors = (error as { writeErrors?: { code?: number }[] })?.writeErrors;
  if (Array.isArray(writeErrors) && writeErrors.length > 0) return writeErrors.every((item) => item.code === 11000);
  return isDuplicateKey(error);
}

function filterOf(query: AuditQuery): Record<string, unknown> {
  const clauses: Record<string, unknown>[] = [];
  if (query.registrationIds) clauses.push({ registrationId: { $in: query.registrationIds } });
  if (query.user) {
    const range = { $gte: query.user.toLowerCase(), $lt: prefixEnd(query.user.toLowerCase()) };
    clauses.push({ $or: [{ userName: range }, { email: range }, { directoryId: range }] });
  }
  if (query.since || query.until) {
    clauses.push({ time: withoutUndefined({ $gte: query.since ? new Date(query.since) : undefined, $lt: query.until ? new Date(query.until) : undefined }) });
  }
  if (query.actions?.length) clauses.push({ action: { $in: query.actions } });
  if (query.outcome) clauses.push({ success: query.outcome === 'success' });
  if (query.correlationId) clauses.push({ correlationId: query.correlationId });
  if (query.runId) clauses.push({ runId: query.runId });
  if (query.cursor) {
    const cursor = decodeCursor(query.cursor);
    const time = new Date(cursor.time);
    clauses.push({ $or: [{ time: { $lt: time } }, { time, _id: { $lt: cursor.id } }] });
  }
  return clauses.length ? { $and: clauses } : {};
}

export class MongoSupportAccounts implements SupportAccounts {
  constructor(private readonly model: Model<SupportAccountDocument>) {}

  create(record: SupportAccountRecord): Promise<SupportAccountRecord> {
    return mongoSafely(async () => {
      await this.model.create({ _id: record.name.toLowerCase(), account: record });
      return record;
    }, 'name');
  }

  get(name: string): Promise<SupportAccountRecord | null> {
    return mongoSafely(async () => (await this.model.findById(name.toLowerCase()).lean())?.account ?? null);
  }

  list(): Promise<SupportAccountRecord[]> {
    return mongoSafely(async () => (await this.model.find().sort({ _id: 1 }).lean()).map((doc) => doc.account));
  }

  setPassword(name: string, passwordHash: string, changedAt: string): Promise<void> {
    return mongoSafely(async () => {
      const result = await this.model.updateOne({ _id: name.toLowerCase() }, { $set: { 'account.passwordHash': passwordHash, 'account.passwordChangedAt': changedAt } });
      if (result.matchedCount === 0) throw notFound(`support account ${name}`);
    });
  }

  delete(name: string): Promise<boolean> {
    return mongoSafely(async () => (await this.model.deleteOne({ _id: name.toLowerCase() })).deletedCount > 0);
  }
}
