import { ConflictError, StoreUnavailableError } from '../store.js';

const UNAVAILABLE = /MongoNetworkError|MongoServerSelectionError|MongoNotConnectedError|MongoTopologyClosedError|MongoNetworkTimeoutError|PoolClearedError/;

export function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: number })?.code === 11000;
}

/** Turns driver errors into the store's errors; `fieldOf` names the unique field from the E11000 message. */
export function translateMongoError(error: unknown, fieldOf: (message: string) => string = () => 'id'): never {
  const message = (error as Error)?.message ?? '';
  if (isDuplicateKey(error)) throw new ConflictError(fieldOf(message));
  const name = (error as Error)?.name ?? '';
  if (UNAVAILABLE.test(name) || /buffering timed out|connection .* closed|ECONNREFUSED|Client must be connected/i.test(message)) {
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
