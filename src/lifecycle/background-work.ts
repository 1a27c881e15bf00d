import type { NextFunction, Request, Response } from 'express';

/**
 * Work that outlives the request that started it, or runs on a timer, tracked so shutdown can
 * wait for it before the audit trail and the store close.
 */
export function createBackgroundWork() {
  const running = new Set<Promise<unknown>>();
  return {
    /** Returns `work` unchanged; shutdown waits for it. */
    track<T>(work: Promise<T>): Promise<T> {
      const settled = work.then(
        () => undefined,
        () => undefined,
      );
      running.add(settled);
      void settled.then(() => running.delete(settled));
      return work;
    },
    /** Resolves once the tracked work has settled or `timeoutMs` passed; with how much was still running. */
    async settled(timeoutMs: number): Promise<number> {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      await Promise.race([Promise.all(running), timedOut]);
      clearTimeout(timer);
      return running.size;
    },
  };
}

/**
 * Express middleware (mount first): shutdown also waits for each response to be written out, so
 * the audit trail's `finish` handler has run before the recorder closes, even when the client
 * hung up while the last bytes were on their way.
 */
export function trackResponses(background: BackgroundWork) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    void background.track(
      new Promise<void>((resolve) => {
        res.once('finish', resolve);
        // Closed before the response was complete: no 'finish' will come.
        res.once('close', () => !res.writableEnded && resolve());
      }),
    );
    next();
  };
}

export type BackgroundWork = ReturnType<typeof createBackgroundWork>;
