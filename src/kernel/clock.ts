/**
 * Time as the service reads it and waits on it. Production uses the system clock; a test hands in
 * a clock it moves itself, so a schedule's next tick or a backoff's end comes when the test says,
 * not after a sleep. (Leases and seat counters are decided in the database's clock, never this one.)
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fire` once, `ms` from now; the answer cancels it. A pending timer never keeps the process alive. */
  setTimer(fire: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fire, ms) {
    const timer = setTimeout(fire, ms).unref();
    return () => clearTimeout(timer);
  },
};
