import { Schema, type Connection, type Model } from 'mongoose';
import { VersionConflictError } from '../store.js';
import { isDuplicateKey } from './mongo-errors.js';

interface ClaimDocument {
  _id: string;
}

export function versionClaimModel(connection: Connection): Model<ClaimDocument> {
  return connection.model<ClaimDocument>('VersionClaim', new Schema<ClaimDocument>({ _id: String }, { collection: 'version_claims', versionKey: false }));
}

/**
 * Compare-and-set for FerretDB, whose updates do not apply their filter atomically: before
 * writing version n+1 of a document, a writer inserts the claim `<key>/<n+1>`. The unique `_id`
 * lets exactly one writer through; the others get VersionConflictError and re-read. The claim
 * of the version before is dropped once the new one is written. (On MongoDB proper the
 * conditional update alone would do; the claim costs one small insert per write.)
 */
export async function withVersionClaim<T>(claims: Model<ClaimDocument>, key: string, expectedVersion: number, write: () => Promise<T>): Promise<T> {
  try {
    await claims.collection.insertOne({ _id: `${key}/${expectedVersion + 1}` as never });
  } catch (error) {
    if (isDuplicateKey(error)) throw new VersionConflictError(`${key} changed`);
    throw error;
  }
  const written = await write();
  await claims.deleteOne({ _id: `${key}/${expectedVersion}` });
  return written;
}

/**
 * Removes the claim a writer took to write version `expectedVersion + 1` of `key` and never
 * finished (it was killed between its claim and its write). Only for a caller that knows, from
 * the document's own last-change time, that no live writer can still be behind it.
 */
export async function dropStaleClaim(claims: Model<ClaimDocument>, key: string, expectedVersion: number): Promise<void> {
  await claims.deleteOne({ _id: `${key}/${expectedVersion + 1}` });
}
