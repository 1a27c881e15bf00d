/**
 * Runs tasks with the same key one after another (in this process). The stores' conditional
 * writes already keep concurrent changes from being lost on MongoDB and SQLite; FerretDB v1
 * does not apply an update's filter atomically, so writes to one resource are also queued here.
 */
export function createKeyedLock() {
  const tails = new Map<string, Promise<unknown>>();
  return async function withLock<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = tails.get(key) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.catch(() => undefined);
    tails.set(key, tail);
    try {
      return await run;
    } finally {
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}
