import { createHash, randomBytes } from 'node:crypto';
import type { ConsoleSessionCollection } from './console-state-port.js';

export interface ConsoleSession {
  /** The session token (the cookie's value); only its hash is stored. */
  id: string;
  account: string;
  /** Must come back in every form the session POSTs. */
  csrfToken: string;
  createdAt: number;
  lastSeen: number;
}

export interface SessionOptions {
  sessions: ConsoleSessionCollection;
  idleMs: number;
  absoluteMs: number;
  now?: () => number;
}

/**
 * Server-side sessions keyed by a random 256-bit token, kept in the store: a session begun on one
 * instance is good on every other, survives restarts, and a logout or an expiry ends it
 * everywhere at once. The store holds the token's SHA-256, never the token.
 */
export function createSessionStore({ sessions, idleMs, absoluteMs, now = Date.now }: SessionOptions) {
  const expiresAt = (createdAt: number, lastSeen: number) => Math.min(lastSeen + idleMs, createdAt + absoluteMs);

  return {
    async create(account: string): Promise<ConsoleSession> {
      const at = now();
      await sessions.deleteExpired(at);
      const session = { id: randomToken(), account, csrfToken: randomToken(), createdAt: at, lastSeen: at };
      await sessions.insert({ tokenHash: hashOf(session.id), account, csrfToken: session.csrfToken, createdAt: at, lastSeen: at, expiresAt: expiresAt(at, at) });
      return session;
    },
    /** The live session with this token, its idle clock restarted; undefined when unknown or expired. */
    async touch(id: string | undefined): Promise<ConsoleSession | undefined> {
      if (!id) return undefined;
      const stored = await sessions.get(hashOf(id));
      const at = now();
      if (!stored) return undefined;
      if (stored.expiresAt <= at) {
        await sessions.delete(stored.tokenHash);
        return undefined;
      }
      await sessions.touch(stored.tokenHash, at, expiresAt(stored.createdAt, at));
      return { id, account: stored.account, csrfToken: stored.csrfToken, createdAt: stored.createdAt, lastSeen: at };
    },
    async destroy(id: string): Promise<void> {
      await sessions.delete(hashOf(id));
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;

export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Tokens and throttle keys are stored only as SHA-256 (no usable token, no address, in a copy of the database). */
export function hashOf(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}
