/**
 * What the SCIM benchmarks send: users seeded straight into the store, and the requests of the
 * scenarios that more than one script drives (bench/scim-bench.ts measures them, bench/cpu-profile.ts
 * profiles them), so both run exactly the same load.
 */
import { randomUUID } from 'node:crypto';
import type { UserRecord } from '../src/directory/directory-port.js';
import type { TestService } from '../test/support/test-service.js';
import type { PlannedRequest } from './load.js';

export interface SeededUser {
  id: string;
  userName: string;
}

export async function seedUsers(service: TestService, registrationId: string, count: number, prefix = 'u'): Promise<SeededUser[]> {
  const seeded: SeededUser[] = [];
  const now = new Date().toISOString();
  for (let i = 0; i < count; i++) {
    const userName = `${prefix}${i}@bench.example`;
    const record: UserRecord = { id: randomUUID(), registrationId, userName, version: 1, created: now, lastModified: now, resource: userBody(userName) };
    await service.store.users.insert(record);
    seeded.push({ id: record.id, userName });
  }
  return seeded;
}

/** How many requests a plan lists before the load generator cycles them (random picks are drawn up front). */
const PLANNED = 5000;

export function planRequests(next: () => PlannedRequest): PlannedRequest[] {
  return Array.from({ length: PLANNED }, next);
}

export function pick<T>(items: T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}

export function userBody(userName: string) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName,
    active: true,
    displayName: userName.split('@')[0]!,
    emails: [{ type: 'work', primary: true, value: userName }],
    addresses: [{ type: 'work', locality: 'Seattle' }],
  };
}

export function patchBody(Operations: object[]) {
  return { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations };
}

/** `GET /Users/{id}` of a random seeded user. */
export function getUser(users: SeededUser[]): () => PlannedRequest {
  return () => ({ method: 'GET', path: `/Users/${pick(users).id}` });
}

/** `PATCH /Users/{id}` replacing displayName and active (as Entra sends them) of a random seeded user. */
export function patchUser(users: SeededUser[]): () => PlannedRequest {
  return () => ({
    method: 'PATCH',
    path: `/Users/${pick(users).id}`,
    body: JSON.stringify(patchBody([{ op: 'Replace', path: 'displayName', value: `Name ${Math.random()}` }, { op: 'Replace', path: 'active', value: Math.random() < 0.5 ? 'True' : 'False' }])),
  });
}
