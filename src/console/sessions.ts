import { randomBytes } from 'node:crypto';

export interface ConsoleSession {
  id: string;
  account: string;
  /** Must come back in every form the session POSTs. */
  csrfToken: string;
  createdAt: number;
  lastSeen: number;
}

export interface SessionOptions {
  idleMs: number;
  absoluteMs: number;
  now?: () => number;
}

/**
 * Server-side sessions keyed by a random 256-bit id: a logout or an expiry ends them at once.
 * Held in the admin process's memory, so a restart signs everyone out.
 */
export function createSessionStore({ idleMs, absoluteMs, now = Date.now }: SessionOptions) {
  const sessions = new Map<string, ConsoleSession>();
  const expired = (session: ConsoleSession, at: number) => at - session.lastSeen > idleMs || at - session.createdAt > absoluteMs;

  function sweep(at: number): void {
    for (const [id, session] of sessions) if (expired(session, at)) sessions.delete(id);
  }

  return {
    create(account: string): ConsoleSession {
      const at = now();
      sweep(at);
      const session = { id: randomToken(), account, csrfToken: randomToken(), createdAt: at, lastSeen: at };
      sessions.set(session.id, session);
      return session;
    },
    /** The live session with this id, its idle clock restarted; undefined when unknown or expired. */
    touch(id: string | undefined): ConsoleSession | undefined {
      const session = id ? sessions.get(id) : undefined;
      const at = now();
      if (!session) return undefined;
      if (expired(session, at)) {
        sessions.delete(session.id);
        return undefined;
      }
      session.lastSeen = at;
      return session;
    },
    destroy(id: string): void {
      sessions.delete(id);
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;

export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}
