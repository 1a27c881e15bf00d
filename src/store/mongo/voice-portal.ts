import type { Connection, Model } from 'mongoose';
import { Schema } from 'mongoose';
import {
  ConflictError,
  NotFoundError,
  VersionConflictError,
  type RetentionCollection,
  type RetentionRecord,
  type VoiceUserCollection,
  type VoiceUserRecord,
} from '../store.js';
import { isDuplicateKey, mongoSafely } from './mongo-errors.js';
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

export class MongoVoiceUsers implements VoiceUserCollection {
  constructor(private readonly model: Model<VoiceUserDocument>) {}

  list(registrationId: string): Promise<VoiceUserRecord[]> {
    return mongoSafely(async () => (await this.model.find({ registrationId }, { record: 1 }).lean()).map((doc) => doc.record));
  }

  get(registrationId: string, id: string): Promise<VoiceUserRecord | null> {
    return mongoSafely(async () => (await this.model.findById(documentId(registrationId, id)).lean())?.record ?? null);
  }

  findByDirectoryUsers(registrationId: string, directoryUserIds: readonly string[]): Promise<VoiceUserRecord[]> {
    return mongoSafely(async () => (await this.model.find({ registrationId, directoryUserId: { $in: [...directoryUserIds] } }, { record: 1 }).lean()).map((doc) => doc.record));
  }

  findByPrimaryEmail(registrationId: string, email: string): Promise<VoiceUserRecord | null> {
    return mongoSafely(async () => (await this.model.findOne({ registrationId, 'keys.primaryEmail': email.toLowerCase() }).lean())?.record ?? null);
  }

  insert(record: VoiceUserRecord): Promise<VoiceUserRecord> {
    return mongoSafely(async () => {
      const document = toDocument(record);
      await this.explainDuplicates(document, () => this.model.create(document));
      return record;
    });
  }

  /** FerretDB's E11000 does not name the index, so the clashing field is found by asking. */
  private async explainDuplicates<T>(document: VoiceUserDocument, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      for (const [field] of VOICE_USER_UNIQUE_FIELDS) {
        const clash = await this.model.exists({ registrationId: document.registrationId, [`keys.${field}`]: document.keys[field], _id: { $ne: document._id } });
        if (clash) throw new ConflictError(field);
      }
      throw new ConflictError('id');
    }
  }

  replace(record: VoiceUserRecord, expectedVersion: number): Promise<VoiceUserRecord> {
    return mongoSafely(async () => {
      const next = { ...record, version: expectedVersion + 1 };
      const document = toDocument(next);
      const { _id, ...fields } = document;
      const updated = await this.explainDuplicates(document, () => this.model.findOneAndUpdate({ _id, version: expectedVersion }, { $set: fields }, { returnDocument: 'after' }).lean());
      if (!updated) {
        if (!(await this.model.exists({ _id }))) throw new NotFoundError(`voice user ${record.id}`);
        throw new VersionConflictError(`voice user ${record.id} changed`);
      }
      return next;
    });
  }

  delete(registrationId: string, id: string): Promise<boolean> {
    return mongoSafely(async () => (await this.model.deleteOne({ _id: documentId(registrationId, id) })).deletedCount > 0);
  }

  deleteAll(registrationId: string): Promise<number> {
    return mongoSafely(async () => (await this.model.deleteMany({ registrationId })).deletedCount);
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

  latestFor(registrationId: string, directoryUserId: string): Promise<RetentionRecord | null> {
    return mongoSafely(async () => (await this.model.findOne({ registrationId, directoryUserId }).sort({ deletedAt: -1 }).lean())?.record ?? null);
  }
}
