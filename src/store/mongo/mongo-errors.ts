import { ConflictError, StoreUnavailableError } from '../store.js';

const UNAVAILABLE = /MongoNetworkError|MongoServerSelectionError|MongooseServerSelectionError|MongoNotConnectedError|MongoTopologyClosedError|MongoNetworkTimeoutError|PoolClearedError/;

/**
 * Server answers that mean "not now": shutting down, interrupted at shutdown, primary stepped down
 * or lost. FerretDB answers an operation cut by its shutdown with "context canceled" instead.
 */
const TRANSIENT_CODES = new Set([91, 189, 10107, 11600, 11602, 13435, 13436]);

export function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: number })?.code === 11000;
}

/** Turns driver errors into the store's errors; `fieldOf` names the unique field from the E11000 message. */
export function translateMongoError(error: unknown, fieldOf: (message: string) => string = () => 'id'): never {
  const message = (error as Error)?.message ?? '';
  if (isDuplicateKey(error)) throw new ConflictError(fieldOf(message));
  const name = (error as Error)?.name ?? '';
  if (UNAVAILABLE.test(name) || TRANSIENT_CODES.has((error as { code?: number })?.code ?? 0) || /buffering timed out|context canceled|connection .* closed|ECONNREFUSED|Client must be connected/i.test(message)) {
    throw new StoreUnavailableError('MongoDB is unavailable', { cause: error });
  }
  throw error;
}

export async function mongoSafely<T>(work: () => Promise<T>, fieldOf?: (message: string) => string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    translateMongoError(error, fieldOf);
  }
}
