import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

/** A fresh database on the suite's MongoDB-protocol server, so test files never see each other's data. */
export function mongoUriForTest(): string {
  const base = new URL(inject('mongoUri'));
  base.pathname = `/t${randomBytes(6).toString('hex')}`;
  return base.toString();
}

declare module 'vitest' {
  interface ProvidedContext {
    mongoUri: string;
  }
}
