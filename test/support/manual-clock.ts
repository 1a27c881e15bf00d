import type { Clock } from '../../src/kernel/clock.js';

export interface ManualClock extends Clock {
  /** Timers waiting to fire. */
  readonly pending: number;
  /** Moves time forward by `ms`, firing the timers that fall due in order, each given a turn of the event loop to start its work. */
  advance(ms: number): Promise<void>;
}

/** Time that moves only when the test says so: a schedule ticks, or a lease is renewed, on `advance`. */
export function createManualClock(start = Date.now()): ManualClock {
  let now = start;
  const timers = new Set<{ at: number; fire: () => void }>();
  return {
    now: () => now,
    setTimer(fire, ms) {
      const timer = { at: now + ms, fire };
      timers.add(timer);
      return () => void timers.delete(timer);
    },
    get pending() {
      return timers.size;
    },
    async advance(ms) {
      const end = now + ms;
      for (;;) {
        const [due] = [...timers].filter((timer) => timer.at <= end).sort((a, b) => a.at - b.at);
        if (!due) break;
        timers.delete(due);
        now = due.at;
        due.fire();
        await new Promise((resolve) => setImmediate(resolve));
      }
      now = end;
    },
  };
}
