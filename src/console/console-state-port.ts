/** A support console session (AUD-2), shared by every instance. Times are ms since the epoch. */
export interface ConsoleSessionRecord {
  /** SHA-256 of the session token: the token itself is never stored. */
  tokenHash: string;
  account: string;
  csrfToken: string;
  createdAt: number;
  lastSeen: number;
  /** When it ends unless used again; expired sessions are deleted (a TTL index where the server has one). */
  expiresAt: number;
}

export interface ConsoleSessionCollection {
  insert(session: ConsoleSessionRecord): Promise<void>;
  get(tokenHash: string): Promise<ConsoleSessionRecord | null>;
  touch(tokenHash: string, lastSeen: number, expiresAt: number): Promise<void>;
  delete(tokenHash: string): Promise<void>;
  deleteExpired(now: number): Promise<number>;
}

/** Failed console sign-ins, one entry per failure, so instances counting at once never lose one. */
export interface LoginFailureCollection {
  add(keyHash: string, at: number, expiresAt: number): Promise<void>;
  /** The times of `keyHash`'s failures at or after `since`, oldest first. */
  since(keyHash: string, since: number): Promise<number[]>;
  clear(keyHash: string): Promise<void>;
  deleteExpired(now: number): Promise<number>;
}
