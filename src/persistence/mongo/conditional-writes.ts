import { randomUUID } from 'node:crypto';
import type { Collection, Db, Document, Filter, UpdateFilter, WithId } from 'mongodb';
import { AppError } from '../../kernel/app-error.js';
import { isDuplicateKey, isNotImplemented, isUnavailable } from './mongo-errors.js';

/**
 * How a conditional write ("update this document if it is still at version n") is made safe:
 * - `atomic`: the server applies an update's filter atomically (MongoDB), so one
 *   `findOneAndUpdate({…, version: n})` decides and returns the new document;
 * - `claimed`: it does not (FerretDB v1 reads, then writes whole documents), so a writer first
 *   inserts the claim `<collection>/<key>`; its unique `_id` lets one writer at a time through,
 *   the others answer "changed" and re-read. The claim is removed when the write is done or
 *   failed, and taken over once expired when its writer died.
 */
export type WriteMode = 'atomic' | 'claimed';
export type RequestedWriteMode = WriteMode | 'auto';

export interface WriteModeChoice {
  mode: WriteMode;
  server: string;
  reason: string;
  /** FerretDB v1 identified itself: it also lacks `$elemMatch` on arrays of documents. */
  ferretDb: boolean;
}

/**
 * Longer than any single operation's deadline (`socketTimeoutMS` in mongo-store.ts): a claim is taken over
 * only when the write that left it can no longer be applied by the server.
 */
export const CLAIM_EXPIRY_MS = 30_000;

interface ClaimDocument {
  _id: string;
  expiresAt: Date;
}

const PROBE_WRITERS = 16;
const PROBE_ROUNDS = 3;

/**
 * Chooses the write mode at connect. FerretDB names itself in `buildInfo` (`ferretdbVersion`) and
 * is known to apply update filters non-atomically; any other server must also pass a race probe
 * (16 concurrent conditional updates of one document, exactly one may win) before `atomic` is used.
 * Asking for `atomic` where either check fails is refused rather than silently risking lost writes.
 */
export async function chooseWriteMode(db: Db, requested: RequestedWriteMode): Promise<WriteModeChoice> {
  const buildInfo = await db.command({ buildInfo: 1 });
  const ferretDb = typeof buildInfo.ferretdbVersion === 'string' ? `FerretDB ${buildInfo.ferretdbVersion}` : undefined;
  const server = ferretDb ?? `MongoDB ${String(buildInfo.version)}`;
  if (requested === 'claimed') return { mode: 'claimed', server, reason: 'configured', ferretDb: !!ferretDb };
  const refusal = ferretDb ? `${ferretDb} does not apply an update's filter atomically` : await raceProbeFailure(db);
  if (refusal === undefined) return { mode: 'atomic', server, reason: 'the server passed the conditional-update race probe', ferretDb: false };
  // At start-up: the configured mode cannot be honoured on this server.
  if (requested === 'atomic') throw new AppError('startup.write_mode_refused', `MONGODB_WRITE_MODE=atomic refused: ${refusal}; use claimed (or auto)`);
  return { mode: 'claimed', server, reason: refusal, ferretDb: !!ferretDb };
}

async function raceProbeFailure(db: Db): Promise<string | undefined> {
  const probes = db.collection<{ _id: string; version: number }>('write_mode_probe');
  const _id = randomUUID();
  try {
    await probes.insertOne({ _id, version: 0 });
    for (let version = 0; version < PROBE_ROUNDS; version++) {
      const winners = (await Promise.all(Array.from({ length: PROBE_WRITERS }, () => probes.findOneAndUpdate({ _id, version }, { $inc: { version: 1 } })))).filter(Boolean).length;
      if (winners !== 1) return `${winners} of ${PROBE_WRITERS} concurrent conditional updates of one version succeeded in the race probe`;
    }
    return undefined;
  } finally {
    await probes.deleteOne({ _id });
  }
}

/** The one conditional-write mechanism of the MongoDB adapter, used by every versioned collection. */
export class ConditionalWrites {
  constructor(
    readonly mode: WriteMode,
    private readonly claims: Collection<ClaimDocument>,
  ) {}

  /** A TTL index lets MongoDB drop claims left by killed writers; FerretDB v1 has no TTL (takeover covers it). */
  async init(): Promise<void> {
    if (this.mode === 'atomic') return;
    try {
      await this.claims.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
    } catch (error) {
      if (!isNotImplemented(error)) throw error;
      // Without TTL, expired claims are taken over by the next write; those of resources never written again are dropped here.
      await this.claims.deleteMany({ expiresAt: { $lte: new Date() } });
    }
  }

  /**
   * Applies `update` to the document matching `filter` at `expectedVersion`, then runs `finish` on
   * the document as written (still holding the claim in claimed mode, so nothing else rewrites the
   * document meanwhile: FerretDB rewrites whole documents, so even an unconditional `$unset` there
   * would undo a concurrent write). Answers null when no document matched at that version.
   */
  async update<D extends Document, T = WithId<D>>(
    collection: Collection<D>,
    key: string,
    filter: Record<string, unknown>,
    expectedVersion: number,
    update: UpdateFilter<D>,
    finish: (written: WithId<D>) => Promise<T> = async (written) => written as unknown as T,
  ): Promise<T | null> {
    const write = async () => {
      const written = await collection.findOneAndUpdate({ ...filter, version: expectedVersion } as unknown as Filter<D>, update, { returnDocument: 'after' });
      return written ? finish(written) : null;
    };
    return this.underClaim(collection, key, write);
  }

  /** Deletes the document matching `filter` only while it is at `expectedVersion` (DELETE with If-Match); false when it is not. */
  async deleteAt<D extends Document>(collection: Collection<D>, key: string, filter: Record<string, unknown>, expectedVersion: number): Promise<boolean> {
    const remove = async () => (await collection.deleteOne({ ...filter, version: expectedVersion } as unknown as Filter<D>)).deletedCount > 0 || null;
    return (await this.underClaim(collection, key, remove)) ?? false;
  }

  /** In claimed mode, `write` runs holding the document's claim; null when another writer holds it. */
  private async underClaim<D extends Document, T>(collection: Collection<D>, key: string, write: () => Promise<T | null>): Promise<T | null> {
    if (this.mode === 'atomic') return write();
    const claim = `${collection.collectionName}/${key}`;
    if (!(await this.claim(claim))) return null;
    let outcome: 'done' | 'unknown' = 'done';
    try {
      return await write();
    } catch (error) {
      // A write cut by a timeout may still be applied by the server: its claim stays until it expires.
      if (isUnavailable(error)) outcome = 'unknown';
      throw error;
    } finally {
      if (outcome === 'done') await this.claims.deleteOne({ _id: claim }).catch(() => undefined);
    }
  }

  /** True when this writer holds the claim; a claim past its expiry (its writer died) is taken over. */
  private async claim(_id: string): Promise<boolean> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await this.claims.insertOne({ _id, expiresAt: new Date(Date.now() + CLAIM_EXPIRY_MS) });
        return true;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      const stale = await this.claims.deleteOne({ _id, expiresAt: { $lte: new Date() } });
      if (stale.deletedCount === 0) return false;
    }
    return false;
  }
}
