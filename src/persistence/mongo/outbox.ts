import type { Connection, Model } from 'mongoose';
import { Schema } from 'mongoose';
import type { OutboxBacklog, OutboxEntry, WriteBackOutbox } from '../../writeback/outbox.js';
import { mongoSafely } from './mongo-errors.js';

/** The entry's own fields, with its time-ordered id as `_id` (so `_id` order is recording order). */
type OutboxDocument = Omit<OutboxEntry, 'id'> & { _id: string };

export function outboxModel(connection: Connection): Model<OutboxDocument> {
  const schema = new Schema<OutboxDocument>(
    {
      _id: String,
      registrationId: String,
      directoryUserId: String,
      voiceUserId: String,
      userName: String,
      fields: [String],
      landsAtVersion: Number,
      recordedAt: String,
      attempts: Number,
      nextAttemptAt: String,
      lastError: String,
    },
    { collection: 'writeback_outbox', versionKey: false, minimize: false },
  );
  schema.index({ registrationId: 1, _id: 1 });
  schema.index({ registrationId: 1, directoryUserId: 1, _id: 1 });
  return connection.model<OutboxDocument>('WriteBackOutbox', schema);
}

/**
 * TWO-1 outbox on MongoDB. Entries are inserted and removed by `_id` only, and failure counts
 * change with single-document updates: nothing relies on an update filter being applied
 * atomically (FerretDB v1 does not).
 */
export class MongoOutbox implements WriteBackOutbox {
  constructor(private readonly model: Model<OutboxDocument>) {}

  add({ id, ...fields }: OutboxEntry): Promise<void> {
    return mongoSafely(async () => void (await this.model.collection.insertOne({ _id: id as never, ...fields })));
  }

  registrationsWithPending(): Promise<string[]> {
    return mongoSafely(async () => (await this.model.distinct('registrationId')) as string[]);
  }

  pending(registrationId: string, limit: number): Promise<OutboxEntry[]> {
    return mongoSafely(async () => (await this.model.find({ registrationId }).sort({ _id: 1 }).limit(limit).lean<OutboxDocument[]>()).map(toEntry));
  }

  pendingOf(registrationId: string, directoryUserId: string): Promise<OutboxEntry[]> {
    return mongoSafely(async () => (await this.model.find({ registrationId, directoryUserId }).sort({ _id: 1 }).lean<OutboxDocument[]>()).map(toEntry));
  }

  remove(registrationId: string, ids: readonly string[]): Promise<void> {
    return mongoSafely(async () => void (await this.model.deleteMany({ registrationId, _id: { $in: [...ids] } })));
  }

  recordFailure(registrationId: string, ids: readonly string[], lastError: string): Promise<void> {
    return mongoSafely(async () => void (await this.model.updateMany({ registrationId, _id: { $in: [...ids] } }, { $inc: { attempts: 1 }, $set: { lastError } })));
  }

  postpone(registrationId: string, until: string): Promise<void> {
    return mongoSafely(async () => void (await this.model.updateMany({ registrationId, nextAttemptAt: { $lt: until } }, { $set: { nextAttemptAt: until } })));
  }

  backlog(registrationId: string): Promise<OutboxBacklog> {
    return mongoSafely(async () => {
      const [pending, oldest] = await Promise.all([this.model.countDocuments({ registrationId }), this.model.findOne({ registrationId }).sort({ _id: 1 }).lean<OutboxDocument>()]);
      return { pending, ...(oldest ? { oldest: toEntry(oldest) } : {}) };
    });
  }

  deleteAll(registrationId: string): Promise<number> {
    return mongoSafely(async () => (await this.model.deleteMany({ registrationId })).deletedCount);
  }
}

function toEntry({ _id, ...fields }: OutboxDocument): OutboxEntry {
  return { id: _id, ...fields };
}
