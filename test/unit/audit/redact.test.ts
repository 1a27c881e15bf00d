import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../../src/audit/redact.js';

describe('redaction', () => {
  it('AUD-3: secrets are replaced by key, at any depth, including SCIM URN paths', () => {
    const input = {
      userName: 'jane',
      password: 'Hunter2!',
      Authorization: 'Bearer abc',
      nested: { token: 't', clientSecret: 's', privateKey: 'k', list: [{ secret: 'x', value: 'kept' }] },
      'urn:ietf:params:scim:schemas:core:2.0:User:password': 'Hunter3!',
      x509Certificates: [{ value: 'MIIBszCCAVmgAwIBAgIU' }],
    };
    expect(redactSecrets(input)).toEqual({
      userName: 'jane',
      password: '[redacted]',
      Authorization: '[redacted]',
      nested: { token: '[redacted]', clientSecret: '[redacted]', privateKey: '[redacted]', list: [{ secret: '[redacted]', value: 'kept' }] },
      'urn:ietf:params:scim:schemas:core:2.0:User:password': '[redacted]',
      x509Certificates: '[redacted]',
    });
  });

  it('AUD-3: PEM blocks and JWTs are replaced whatever their key', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    expect(redactSecrets({ note: pem, detail: `bad ${jwt}`, fine: 'eyJ alone' })).toEqual({ note: '[redacted]', detail: '[redacted]', fine: 'eyJ alone' });
  });

  it('AUD-3: a PATCH operation whose path names a secret has its value redacted', () => {
    const operations = [{ op: 'replace', path: 'password', value: 'Hunter2!' }, { op: 'replace', path: 'urn:ietf:params:scim:schemas:core:2.0:User:password', value: 'Hunter3!' }, { op: 'replace', path: 'title', value: 'kept' }];
    expect(redactSecrets({ Operations: operations })).toEqual({
      Operations: [{ op: 'replace', path: 'password', value: '[redacted]' }, { op: 'replace', path: 'urn:ietf:params:scim:schemas:core:2.0:User:password', value: '[redacted]' }, { op: 'replace', path: 'title', value: 'kept' }],
    });
  });

  it('leaves the input untouched', () => {
    const input = { password: 'p' };
    redactSecrets(input);
    expect(input.password).toBe('p');
  });
});
