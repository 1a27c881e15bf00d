import { randomUUID } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import { StoreUnavailableError, VersionConflictError, type SeatCounter, type SeatCounterCollection } from '../store.js';
import { databaseNow } from './database-clock.js';
import { isDuplicateKey, mongoSafely } from './mongo-errors.js';
import { withVersionClaim, type versionClaimModel } from './version-claims.js';

interface SeatCounterDocument {
  _id: string;
  registrationId: string;
  license: string;
  used: number;
  version: number;
  /** Set when the counter is created: claims of an earlier counter of the same licence never match. */
  incarnation: string;
  changedAt: Date;
}

export function seatCounterModel(connection: Connection): Model<SeatCounterDocument> {
  const schema = new Schema<SeatCounterDocument>(
    { _id: String, registrationId: String, license: String, used: Number, version: Number, incarnation: String, changedAt: Date },
    { collection: 'seat_counters', versionKey: false, minimize: false },
  );
  schema.index({ registrationId: 1 });
  return connection.model<SeatCounterDocument>('SeatCounter', schema);
}

/** Contenders lose at most once per winner; past this many rounds something else is wrong. */
const MAX_ROUNDS = 200;

/**
 * SYNC-5 counters as one document per (registration, licence), changed by a compare-and-set on
 * its version: `{_id, version: v}` → `$inc used` (the read just before checked `used < seats`).
 * The version claim makes the compare-and-set exact on servers that do not apply an update's
 * filter atomically (FerretDB v1); on MongoDB the filtered update alone decides.
 */
export class MongoSeatCounters implements SeatCounterCollection {
  constructor(
    private readonly model: Model<SeatCounterDocument>,
    private readonly claims: ReturnType<typeof versionClaimModel>,
  ) {}

  take(registrationId: string, license: string, seats: number, initial: () => Promise<number>): Promise<boolean> {
    return mongoSafely(async () => {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const counter = await this.model.findById(counterId(registrationId, license)).lean();
        if (!counter) await this.create(registrationId, license, await initial());
        else if (counter.used >= seats) return false;
        else if (await this.compareAndSet(counter, { $inc: { used: 1, version: 1 } })) return true;
      }
      throw new StoreUnavailableError(`the seat counter of ${license} stayed contended for ${MAX_ROUNDS} rounds`);
    });
  }

  giveBack(registrationId: string, license: string): Promise<void> {
    return mongoSafely(async () => {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const counter = await this.model.findById(counterId(registrationId, license)).lean();
        if (!counter || counter.used === 0) return;
        if (await this.compareAndSet(counter, { $inc: { used: -1, version: 1 } })) return;
      }
      throw new StoreUnavailableError(`the seat counter of ${license} stayed contended for ${MAX_ROUNDS} rounds`);
    });
  }

  used(registrationId: string, license: string): Promise<SeatCounter | undefined> {
    return mongoSafely(async () => {
      const [counter, readAt] = await Promise.all([this.model.findById(counterId(registrationId, license)).lean(), databaseNow(this.model.db)]);
      return counter ? { used: counter.used, version: counter.version, changedAt: new Date(counter.changedAt).getTime(), readAt } : undefined;
    });
  }

  correct(registrationId: string, license: string, expected: SeatCounter, used: number): Promise<boolean> {
    return mongoSafely(async () => {
      const counter = await this.model.findById(counterId(registrationId, license)).lean();
      if (!counter || counter.version !== expected.version) return false;
      return this.compareAndSet(counter, { $set: { used }, $inc: { version: 1 } });
    });
  }

  forget(registrationId: string, licenses?: readonly string[]): Promise<void> {
    return mongoSafely(async () => void (await this.model.deleteMany({ registrationId, ...(licenses ? { license: { $in: [...licenses] } } : {}) })));
  }

  private async create(registrationId: string, license: string, used: number): Promise<void> {
    try {
      await this.model.collection.insertOne({ _id: counterId(registrationId, license) as never, registrationId, license, used, version: 0, incarnation: randomUUID(), changedAt: new Date() });
    } catch (error) {
      // Another instance created it first: its count is as good as ours.
      if (!isDuplicateKey(error)) throw error;
    }
  }

  private async compareAndSet(counter: SeatCounterDocument, update: Record<string, unknown>): Promise<boolean> {
    try {
      const result = await withVersionClaim(this.claims, `seat_counters/${counter._id}/${counter.incarnation}`, counter.version, () =>
        this.model.collection.updateOne({ _id: counter._id as never, version: counter.version }, { ...update, $currentDate: { changedAt: true } }),
      );
      return result.matchedCount > 0;
    } catch (error) {
      if (error instanceof VersionConflictError) return false;
      throw error;
    }
  }
}

const counterId = (registrationId: string, license: string) => `${registrationId}:${license}`;
