import type { Connection, Model } from 'mongoose';
import { Schema } from 'mongoose';
import { conflict, notFound, versionConflict } from '../../kernel/store-errors.js';
import { type RetentionCollection, type RetentionRecord, type SeatCounterCollection, type VoiceUserCollection, type VoiceUserRecord } from '../../portal/portal-port.js';
import { conflictFieldOf, duplicateKeyOf, mongoSafely } from './mongo-errors.js';
import type { ConditionalWrites } from './conditional-writes.js';
import { uniqueKeysOf, VOICE_USER_UNIQUE_FIELDS } from '../voice-user-keys.js';

interface VoiceUserDocument {
  _id: string;
  registrationId: string;
  directoryUserId?: string;
  keys: { userName: string; primaryEmail: string; extension: string; did: string };
  version: number;
  record: VoiceUserRecord;
}

interface RetentionDocument {
  _id: string;
  registrationId: string;
  purgeAfter: string;
  directoryUserId?: string;
  deletedAt: string;
  record: RetentionRecord;
}

/** `voice_users` is the collection the portal reads; `_id` is registration + id so ids are per registration. */
export function voicePortalModels(connection: Connection) {
  const voiceUserSchema = new Schema<VoiceUserDocument>(
    { _id: String, registrationId: String, directoryUserId: String, keys: Schema.Types.Mixed, version: Number, record: Schema.Types.Mixed },
    { collection: 'voice_users', versionKey: false, minimize: false },
  );
  for (const [field] of VOICE_USER_UNIQUE_FIELDS) voiceUserSchema.index({ registrationId: 1, [`keys.${field}`]: 1 }, { unique: true, name: `unique_${field}` });
  voiceUserSchema.index({ registrationId: 1, directoryUserId: 1 });
  voiceUserSchema.index({ registrationId: 1, 'record.licenses': 1 });
  const retentionSchema = new Schema<RetentionDocument>(
    { _id: String, registrationId: { type: String, index: true }, purgeAfter: { type: String, index: true }, directoryUserId: String, deletedAt: String, record: Schema.Types.Mixed },
    { collection: 'voice_retention', versionKey: false, minimize: false },
  );
  retentionSchema.index({ registrationId: 1, directoryUserId: 1, deletedAt: -1 });
  return {
    voiceUsers: connection.model<VoiceUserDocument>('VoiceUser', voiceUserSchema),
    retention: connection.model<RetentionDocument>('Retention', retentionSchema),
  };
}

const documentId = (registrationId: string, id: string) => `${registrationId}:${id}`;

/**
 * Without transactions (FerretDB v1 has none) a voice user and the seat counters change in two
 * steps: the voice user first, then the seats it lost are given back. A crash in between leaves
 * a counter one too high, never too low; the seat service's recount corrects it.
 */
export class MongoVoiceUsers implements VoiceUserCollection {
  constructor(
    private readonly model: Model<VoiceUserDocument>,
    private readonly writes: ConditionalWrites,
    private readonly seats: SeatCounterCollection,
  ) {}

  private async giveBackSeats(registrationId: string, licenses: readonly string[]): Promise<void> {
    for (const license of licenses) await this.seats.giveBack(registrationId, license);
  }

  list(registrationId: string): Promise<VoiceUserRecord[]> {
    return mongoSafely(async () => (await this.model.find({ registrationId }, { record: 1 }).lean()).map((doc) => doc.record));
  }

  get(registrationId: string, id: string): Promise<VoiceUserRecord | null> {
    return mongoSafely(async () => (await this.model.findById(documentId(registrationId, id)).lean())?.record ?? null);
  }

  findByDirectoryUsers(registrationId: string, directoryUserIds: readonly string[]): Promise<VoiceUserRecord[]> {
    return mongoSafely(async () => (await this.model.find({ registrationId, directoryUserId: { $in: [...directoryUserIds] } }, { record: 1 }).lean()).map((doc) => doc.record));
  }

  findByPrimaryEmails(registrationId: string, emails: readonly string[]): Promise<VoiceUserRecord[]> {
    return mongoSafely(async () => (await this.model.find({ registrationId, 'keys.primaryEmail': { $in: emails.map((email) => email.toLowerCase()) } }, { record: 1 }).lean()).map((doc) => doc.record));
  }

  insert(record: VoiceUserRecord): Promise<VoiceUserRecord> {
    return mongoSafely(async () => {
      const document = toDocument(record);
      await this.explainDuplicates(document, () => this.model.create(document));
      return record;
    });
  }

  /** MongoDB names the clashing index keys; FerretDB's duplicate error does not, so there the field is found by asking. */
  private async explainDuplicates<T>(document: VoiceUserDocument, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      const duplicate = duplicateKeyOf(error);
      if (!duplicate) throw error;
      if (duplicate.keyFields) throw conflict(conflictFieldOf(duplicate, 'id'));
      for (const [field] of VOICE_USER_UNIQUE_FIELDS) {
        const clash = await this.model.exists({ registrationId: document.registrationId, [`keys.${field}`]: document.keys[field], _id: { $ne: document._id } });
        if (clash) throw conflict(field);
      }
      throw conflict('id');
    }
  }

  replace(record: VoiceUserRecord, expectedVersion: number): Promise<VoiceUserRecord> {
    return mongoSafely(async () => {
      const next = { ...record, version: expectedVersion + 1 };
      const document = toDocument(next);
      const { _id, ...fields } = document;
      // Read first: if the write below matches `expectedVersion`, this is the document it replaced.
      const previous = await this.model.findById(_id, { 'record.licenses': 1, version: 1 }).lean();
      const updated = await this.explainDuplicates(document, () => this.writes.update(this.model.collection, _id, { _id }, expectedVersion, { $set: fields }));
      if (!updated) {
        if (!(await this.model.exists({ _id }))) throw notFound(`voice user ${record.id}`);
        throw versionConflict(`voice user ${record.id}`);
      }
      const held = previous?.version === expectedVersion ? previous.record.licenses : [];
      await this.giveBackSeats(record.registrationId, held.filter((license) => !next.licenses.includes(license)));
      return next;
    });
  }

  delete(registrationId: string, id: string, { keepSeats = false } = {}): Promise<boolean> {
    return mongoSafely(async () => {
      const deleted = await this.model.findOneAndDelete({ _id: documentId(registrationId, id) }).lean();
      if (deleted && !keepSeats) await this.giveBackSeats(registrationId, deleted.record.licenses);
      return deleted !== null;
    });
  }

  deleteAll(registrationId: string): Promise<number> {
    return mongoSafely(async () => {
      const deleted = (await this.model.deleteMany({ registrationId })).deletedCount;
      await this.seats.forget(registrationId);
      return deleted;
    });
  }

  countHolding(registrationId: string, license: string): Promise<number> {
    return mongoSafely(() => this.model.countDocuments({ registrationId, 'record.licenses': license }));
  }
}

function toDocument(record: VoiceUserRecord): VoiceUserDocument {
  return {
    _id: documentId(record.registrationId, record.id),
    registrationId: record.registrationId,
    ...(record.directoryUserId ? { directoryUserId: record.directoryUserId } : {}),
    keys: uniqueKeysOf(record),
    version: record.version,
    record,
  };
}

export class MongoRetention implements RetentionCollection {
  constructor(private readonly model: Model<RetentionDocument>) {}

  add(record: RetentionRecord): Promise<void> {
    return mongoSafely(async () => {
      const link = record.directoryUserId ? { directoryUserId: record.directoryUserId } : {};
      await this.model.updateOne({ _id: record.id }, { $setOnInsert: { registrationId: record.registrationId, purgeAfter: record.purgeAfter, deletedAt: record.deletedAt, ...link, record } }, { upsert: true });
    });
  }

  due(now: string): Promise<RetentionRecord[]> {
    return mongoSafely(async () => (await this.model.find({ purgeAfter: { $lte: now } }).sort({ purgeAfter: 1 }).lean()).map((doc) => doc.record));
  }

  remove(id: string): Promise<void> {
    return mongoSafely(async () => void (await this.model.deleteOne({ _id: id })));
  }

  list(registrationId: string): Promise<RetentionRecord[]> {
    return mongoSafely(async () => (await this.model.find({ registrationId }).sort({ purgeAfter: 1 }).lean()).map((doc) => doc.record));
  }

  /** Newest first, so the first record seen of each directory user is its latest (a user has a few at most). */
  latestForEach(registrationId: string, directoryUserIds: readonly string[]): Promise<RetentionRecord[]> {
    return mongoSafely(async () => {
      const newestFirst = await this.model.find({ registrationId, directoryUserId: { $in: [...directoryUserIds] } }).sort({ deletedAt: -1 }).lean();
      const latest = new Map<string, RetentionRecord>();
      for (const { directoryUserId, record } of newestFirst) if (!latest.has(directoryUserId!)) latest.set(directoryUserId!, record);
      return [...latest.values()];
    });
  }
}
