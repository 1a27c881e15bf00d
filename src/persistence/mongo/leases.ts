import { Schema, type Connection, type Model } from 'mongoose';
import type { LeaseCollection, LeaseHolder } from '../../jobs/lease-port.js';
import { databaseNow } from './database-clock.js';
import { isDuplicateKey, mongoSafely } from './mongo-errors.js';

interface LeaseDocument {
  _id: string;
  holder: string;
  /** Absent on leases written before acquisition times were kept. */
  acquiredAt?: number;
  expiresAt: number;
}

export function leaseModel(connection: Connection): Model<LeaseDocument> {
  return connection.model<LeaseDocument>('Lease', new Schema<LeaseDocument>({ _id: String, holder: String, acquiredAt: Number, expiresAt: Number }, { collection: 'leases', versionKey: false, minimize: false }));
}

/** Leases in the database server's clock. */
export class MongoLeases implements LeaseCollection {
  constructor(private readonly model: Model<LeaseDocument>) {}

  private now(): Promise<number> {
    return databaseNow(this.model.db);
  }

  /**
   * Acquisition is decided by the unique `_id` of an insert, the one write FerretDB v1 makes
   * atomic (it does not apply an update's filter atomically). An expired lease is removed first,
   * by a delete that names the exact holder and expiry it saw.
   */
  acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return mongoSafely(async () => {
      const [now, current] = await Promise.all([this.now(), this.model.findById(name).lean()]);
      if (current?.holder === holder) return (await this.model.updateOne({ _id: name, holder }, { $set: { expiresAt: now + ttlMs } })).matchedCount > 0;
      if (current && current.expiresAt > now) return false;
      if (current) await this.model.deleteOne({ _id: name, holder: current.holder, expiresAt: current.expiresAt });
      try {
        await this.model.collection.insertOne({ _id: name as never, holder, acquiredAt: now, expiresAt: now + ttlMs });
        return true;
      } catch (error) {
        if (isDuplicateKey(error)) return false;
        throw error;
      }
    });
  }

  renew(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return mongoSafely(async () => (await this.model.updateOne({ _id: name, holder }, { $set: { expiresAt: (await this.now()) + ttlMs } })).matchedCount > 0);
  }

  release(name: string, holder: string): Promise<void> {
    return mongoSafely(async () => void (await this.model.deleteOne({ _id: name, holder })));
  }

  current(name: string): Promise<LeaseHolder | null> {
    return mongoSafely(async () => {
      const [now, lease] = await Promise.all([this.now(), this.model.findById(name).lean()]);
      if (!lease || lease.expiresAt <= now) return null;
      return { holder: lease.holder, acquiredAt: new Date(lease.acquiredAt ?? lease.expiresAt).toISOString(), expiresAt: new Date(lease.expiresAt).toISOString() };
    });
  }
}
