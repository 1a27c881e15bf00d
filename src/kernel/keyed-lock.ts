import { storeUnavailable } from './store-errors.js';

export interface KeyedLockLimits {
  /** Tasks that may wait behind the running one for the same key. */
  maxWaitingPerKey: number;
  /** Tasks that may wait across all keys. */
  maxWaiting: number;
}

/**
 * When the database is slow, queued writes would otherwise pile up (each waiting for a deadline
 * in turn) and answer long after the client gave up; past these bounds new writes are shed.
 */
const DEFAULT_LIMITS: KeyedLockLimits = { maxWaitingPerKey: 32, maxWaiting: 512 };

/**
 * Runs tasks with the same key one after another (in this process). The stores' conditional
 * writes keep concurrent changes from being lost on every server; queueing here saves the
 * retries a hot resource would otherwise cost. The queue is bounded: past it a write is refused
 * with `store.unavailable` (503) before it changes anything.
 */
export function createKeyedLock(limits: KeyedLockLimits = DEFAULT_LIMITS) {
  const queues = new Map<string, { tail: Promise<unknown>; waiting: number }>();
  let waiting = 0;
  return async function withLock<T>(key: string, task: () => Promise<T>): Promise<T> {
    const busy = queues.get(key);
    if (busy && (busy.waiting >= limits.maxWaitingPerKey || waiting >= limits.maxWaiting)) {
      throw storeUnavailable(`Too many writes are waiting (${busy.waiting} for this resource, ${waiting} in all)`);
    }
    const queue = busy ?? { tail: Promise.resolve(), waiting: 0 };
    // Only tasks behind another one count as waiting.
    if (busy) {
      queue.waiting++;
      waiting++;
    }
    const start = () => {
      if (busy) {
        queue.waiting--;
        waiting--;
      }
      return task();
    };
    const run = queue.tail.then(start, start);
    const tail = run.catch(() => undefined);
    queue.tail = tail;
    queues.set(key, queue);
    try {
      return await run;
    } finally {
      if (queue.tail === tail) queues.delete(key);
    }
  };
}
