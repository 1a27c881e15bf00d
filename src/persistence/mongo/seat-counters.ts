import { setTimeout as delay } from 'node:timers/promises';
import { Schema, type Connection, type Model } from 'mongoose';
import { storeUnavailable } from '../../kernel/store-errors.js';
import { type SeatCounter, type SeatCounterCollection } from '../../portal/portal-port.js';
import { CLAIM_EXPIRY_MS, type ConditionalWrites } from './conditional-writes.js';
import { databaseNow } from './database-clock.js';
import { isDuplicateKey, mongoSafely } from './mongo-errors.js';

interface SeatCounterDocument {
  _id: string;
  registrationId: string;
  license: string;
  used: number;
  version: number;
  changedAt: Date;
}

export function seatCounterModel(connection: Connection): Model<SeatCounterDocument> {
  const schema = new Schema<SeatCounterDocument>(
    { _id: String, registrationId: String, license: String, used: Number, version: Number, changedAt: Date },
    { collection: 'seat_counters', versionKey: false, minimize: false },
  );
  schema.index({ registrationId: 1 });
  return connection.model<SeatCounterDocument>('SeatCounter', schema);
}

/** A claim left by a writer killed mid-write blocks the counter until it expires; then it is taken over. */
const CONTENDED_FOR_MS = CLAIM_EXPIRY_MS + 10_000;

/** Rounds retried at once before polling: enough for the writers of one burst to take turns. */
const QUICK_ROUNDS = 16;
const POLL_MS = 25;

/**
 * SYNC-5 counters as one document per (registration, licence), changed by a compare-and-set on
 * its version: `{_id, version: v}` → `$inc used` (the read just before checked `used < seats`),
 * through the adapter's one conditional-write mechanism: on MongoDB the filtered update alone
 * decides; on FerretDB v1 (non-atomic filters) a claim lets one writer through at a time.
 */
export class MongoSeatCounters implements SeatCounterCollection {
  constructor(
    private readonly model: Model<SeatCounterDocument>,
    private readonly writes: ConditionalWrites,
  ) {}

  take(registrationId: string, license: string, seats: number, initial: () => Promise<number>): Promise<boolean> {
    return this.untilDecided(license, async () => {
      const counter = await this.model.findById(counterId(registrationId, license)).lean();
      if (!counter) return void (await this.create(registrationId, license, await initial()));
      if (counter.used >= seats) return false;
      return (await this.compareAndSet(counter, { $inc: { used: 1, version: 1 } })) || undefined;
    });
  }

  async giveBack(registrationId: string, license: string): Promise<void> {
    await this.untilDecided(license, async () => {
      const counter = await this.model.findById(counterId(registrationId, license)).lean();
      if (!counter || counter.used === 0) return true;
      return (await this.compareAndSet(counter, { $inc: { used: -1, version: 1 } })) || undefined;
    });
  }

  /** Repeats `round` until it decides (not undefined): contenders lose at most once per winner. */
  private untilDecided<T>(license: string, round: () => Promise<T | undefined>): Promise<T> {
    return mongoSafely(async () => {
      const deadline = Date.now() + CONTENDED_FOR_MS;
      for (let lost = 0; ; lost++) {
        const decided = await round();
        if (decided !== undefined) return decided;
        if (Date.now() > deadline) throw storeUnavailable(`the seat counter of ${license} stayed contended for ${CONTENDED_FOR_MS / 1000} s`);
        // Many losses in a row: a claim may be waiting for its expiry; poll gently meanwhile.
        if (lost >= QUICK_ROUNDS) await delay(POLL_MS);
      }
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
      await this.model.collection.insertOne({ _id: counterId(registrationId, license) as never, registrationId, license, used, version: 0, changedAt: new Date() });
    } catch (error) {
      // Another instance created it first: its count is as good as ours.
      if (!isDuplicateKey(error)) throw error;
    }
  }

  private async compareAndSet(counter: SeatCounterDocument, update: Record<string, unknown>): Promise<boolean> {
    const written = await this.writes.update(this.model.collection, counter._id, { _id: counter._id }, counter.version, { ...update, $currentDate: { changedAt: true } });
    return written !== null;
  }

}

const counterId = (registrationId: string, license: string) => `${registrationId}:${license}`;
