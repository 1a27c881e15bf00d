import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'svp';

export interface IssuedToken {
  id: string;
  /** Shown once to the operator; only its hash is stored. */
  token: string;
  secretHash: string;
}

/**
 * `svp_<id>_<secret>`: the id part finds the registration in O(1) through the credential
 * index; the 256-bit secret is compared by hash. A fast hash is enough for a random
 * secret of this size (no dictionary to guess from), and keeps the check cheap per request.
 */
export function issueToken(): IssuedToken {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `${PREFIX}_${id}_${secret}`, secretHash: hashSecret(secret) };
}

export function parseToken(token: string): { id: string; secret: string } | undefined {
  const match = /^svp_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/.exec(token);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

/** Compared against when a token id is unknown, so that case hashes and compares like a wrong secret; no secret hashes to it. */
export const UNKNOWN_SECRET_HASH = '0'.repeat(64);

export function secretMatches(secret: string, secretHash: string): boolean {
  const expected = Buffer.from(secretHash, 'hex');
  const actual = Buffer.from(hashSecret(secret), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
