import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type RegisteredClient, type TestService } from '../support/test-service.js';

describe('Discovery endpoints are honest about what is supported', () => {
  let service: TestService;
  let client: RegisteredClient;
  beforeAll(async () => {
    service = await startTestService('sqlite', { MAX_PAGE_SIZE: '200', MAX_BODY_BYTES: '65536' });
    client = await service.registration('contoso');
  });
  afterAll(() => service.stop());

  it('ServiceProviderConfig advertises patch, filter with its real maxResults, sort, etag, no bulk, the body limit', async () => {
    const { body } = await client.scim.get('/ServiceProviderConfig');
    expect(body).toMatchObject({
      patch: { supported: true },
      bulk: { supported: false, maxPayloadSize: 65536 },
      filter: { supported: true, maxResults: 200 },
      sort: { supported: true },
      etag: { supported: true },
      changePassword: { supported: false },
    });
  });

  it('count is capped at filter.maxResults', async () => {
    const { body } = await client.scim.get('/Users?count=5000');
    expect(body.itemsPerPage).toBeLessThanOrEqual(200);
  });

  it('ResourceTypes lists User (with enterprise and voice extensions) and Group', async () => {
    const { body } = await client.scim.get('/ResourceTypes');
    const user = body.Resources.find((r: { name: string }) => r.name === 'User');
    expect(user.schemaExtensions.map((e: { schema: string }) => e.schema)).toEqual(
      expect.arrayContaining(['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', 'urn:ietf:params:scim:schemas:extension:voiceportal:2.0:User']),
    );
    expect(body.Resources.map((r: { name: string }) => r.name)).toContain('Group');
  });

  it('Schemas include the voice-portal extension with read-only extension and DID', async () => {
    const { body, status } = await client.scim.get('/Schemas/urn:ietf:params:scim:schemas:extension:voiceportal:2.0:User');
    expect(status).toBe(200);
    const attributes = Object.fromEntries(body.attributes.map((a: { name: string; mutability: string }) => [a.name, a.mutability]));
    expect(attributes).toMatchObject({ extension: 'readOnly', did: 'readOnly' });
  });
});
