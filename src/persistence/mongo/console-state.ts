import { Schema, type Connection, type Model } from 'mongoose';
import type { ConsoleSessionCollection, ConsoleSessionRecord, LoginFailureCollection } from '../../console/console-state-port.js';
import { mongoSafely } from './mongo-errors.js';

interface SessionDocument {
  _id: string;
  account: string;
  csrfToken: string;
  createdAt: number;
  lastSeen: number;
  /** A Date, so a TTL index can remove it. */
  expiresAt: Date;
}

interface LoginFailureDocument {
  keyHash: string;
  at: number;
  expiresAt: Date;
}

/** The TTL indexes are made by migration 3 (a server without TTL indexes relies on deleteExpired). */
export function consoleStateModels(connection: Connection) {
  const sessions = connection.model<SessionDocument>(
    'ConsoleSession',
    new Schema<SessionDocument>({ _id: String, account: String, csrfToken: String, createdAt: Number, lastSeen: Number, expiresAt: Date }, { collection: 'console_sessions', versionKey: false }),
  );
  const failureSchema = new Schema<LoginFailureDocument>({ keyHash: String, at: Number, expiresAt: Date }, { collection: 'login_failures', versionKey: false });
  failureSchema.index({ keyHash: 1, at: 1 });
  return { sessions, loginFailures: connection.model<LoginFailureDocument>('LoginFailure', failureSchema) };
}

export class MongoConsoleSessions implements ConsoleSessionCollection {
  constructor(private readonly model: Model<SessionDocument>) {}

  insert(session: ConsoleSessionRecord): Promise<void> {
    const { tokenHash, expiresAt, ...rest } = session;
    return mongoSafely(async () => void (await this.model.collection.insertOne({ _id: tokenHash as never, ...rest, expiresAt: new Date(expiresAt) })));
  }

  get(tokenHash: string): Promise<ConsoleSessionRecord | null> {
    return mongoSafely(async () => {
      const found = await this.model.findById(tokenHash).lean();
      if (!found) return null;
      const { _id, expiresAt, ...rest } = found;
      return { tokenHash: _id, ...rest, expiresAt: new Date(expiresAt).getTime() };
    });
  }

  touch(tokenHash: string, lastSeen: number, expiresAt: number): Promise<void> {
    return mongoSafely(async () => void (await this.model.updateOne({ _id: tokenHash }, { $set: { lastSeen, expiresAt: new Date(expiresAt) } })));
  }

  delete(tokenHash: string): Promise<void> {
    return mongoSafely(async () => void (await this.model.deleteOne({ _id: tokenHash })));
  }

  deleteExpired(now: number): Promise<number> {
    return mongoSafely(async () => (await this.model.deleteMany({ expiresAt: { $lte: new Date(now) } })).deletedCount);
  }
}

export class MongoLoginFailures implements LoginFailureCollection {
  constructor(private readonly model: Model<LoginFailureDocument>) {}

  add(keyHash: string, at: number, expiresAt: number): Promise<void> {
    return mongoSafely(async () => void (await this.model.collection.insertOne({ keyHash, at, expiresAt: new Date(expiresAt) })));
  }

  since(keyHash: string, since: number): Promise<number[]> {
    return mongoSafely(async () => (await this.model.find({ keyHash, at: { $gte: since } }, { at: 1 }).sort({ at: 1 }).lean()).map((failure) => failure.at));
  }

  clear(keyHash: string): Promise<void> {
    return mongoSafely(async () => void (await this.model.deleteMany({ keyHash })));
  }

  deleteExpired(now: number): Promise<number> {
    return mongoSafely(async () => (await this.model.deleteMany({ expiresAt: { $lte: new Date(now) } })).deletedCount);
  }
}
