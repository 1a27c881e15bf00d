import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configError, isLoopback, loadConfig, readSettings } from '../../../src/config/load.js';
import { SECRET_SETTINGS } from '../../../src/config/schema.js';
import type { AppError } from '../../../src/kernel/app-error.js';

describe('configuration is validated at start-up, naming each variable and what is wrong', () => {
  it('defaults to the embedded store and development certificates under ./data', () => {
    const config = loadConfig({});
    expect(config.store).toEqual({ kind: 'sqlite', file: 'data/scim.db' });
    expect(config.tls).toEqual({ source: 'development', dir: 'data/certs' });
    expect(config.SCIM_PORT).toBe(8443);
  });

  it('MONGODB_URI selects the MongoDB store', () => {
    expect(loadConfig({ MONGODB_URI: 'mongodb://db:27017/portal' }).store).toEqual({ kind: 'mongodb', uri: 'mongodb://db:27017/portal' });
  });

  it('lists every problem at once', () => {
    try {
      loadConfig({ SCIM_PORT: 'eighty', MONGODB_URI: 'postgres://x', TLS_CERT_FILE: '/nope.pem', LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'config.invalid' });
      const message = (error as AppError).message;
      expect(message).toMatch(/SCIM_PORT: .*number/i);
      expect(message).toContain('MONGODB_URI: must start with mongodb:// or mongodb+srv://');
      expect(message).toContain('TLS_KEY_FILE: is required when TLS_CERT_FILE is set');
      expect(message).toMatch(/LOG_LEVEL: /);
    }
  });

  it('names a configured file that does not exist', () => {
    expect(() => loadConfig({ TLS_CERT_FILE: '/nope/cert.pem', TLS_KEY_FILE: '/nope/key.pem', TLS_CLIENT_CA_FILE: '/nope/ca.pem' })).toThrow(/TLS_CERT_FILE: file \/nope\/cert.pem does not exist/);
  });

  it('reads a CONFIG_FILE, with the environment taking precedence', () => {
    expect(() => loadConfig({ CONFIG_FILE: '/nope/config.json' })).toThrow(/CONFIG_FILE: cannot read \/nope\/config.json/);
  });
});

describe('development certificates only for a loopback listener', () => {
  it.each(['127.0.0.1', '127.8.9.10', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1'])('%s is loopback', (host) => {
    expect(isLoopback(host)).toBe(true);
    expect(loadConfig({ HOST: host }).tls).toEqual({ source: 'development', dir: 'data/certs' });
  });

  it.each(['0.0.0.0', '::', '10.0.0.5', 'scim.example.com', '128.0.0.1'])('HOST=%s without TLS files refuses to start, saying what to set', (host) => {
    expect(isLoopback(host)).toBe(false);
    expect(() => loadConfig({ HOST: host })).toThrow(
      configError([
        `HOST: ${host} is not a loopback address, and development certificates are only made for 127.0.0.1, ::1 or localhost. ` +
          'Set TLS_CERT_FILE, TLS_KEY_FILE, TLS_CLIENT_CA_FILE (and TLS_CRL_FILE) to your certificates, or HOST=127.0.0.1 to try the service locally',
      ]),
    );
  });

  it('any HOST with configured certificates', () => {
    const files = { TLS_CERT_FILE: 'certs.example/server.pem', TLS_KEY_FILE: 'certs.example/server-key.pem', TLS_CLIENT_CA_FILE: 'certs.example/ca.pem' };
    expect(loadConfig({ HOST: '0.0.0.0', ...files }).tls).toMatchObject({ source: 'configured', certFile: 'certs.example/server.pem' });
  });
});

describe('secrets from files (<NAME>_FILE)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'config-secrets-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const secretFile = (name: string, content: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, content, { mode: 0o600 });
    return file;
  };

  it('ADMIN_TOKEN_FILE gives the admin token, without the trailing newline', () => {
    const token = 'f'.repeat(40);
    expect(loadConfig({ ADMIN_TOKEN_FILE: secretFile('admin-token', `${token}\n`) }).ADMIN_TOKEN).toBe(token);
  });

  it('MONGODB_URI_FILE gives the store URI (it may hold a password)', () => {
    const uri = 'mongodb://portal:s3cret@db:27017/portal';
    expect(loadConfig({ MONGODB_URI_FILE: secretFile('mongodb-uri', uri) }).store).toEqual({ kind: 'mongodb', uri });
  });

  it('every secret setting can come from a file and is validated like the variable', () => {
    for (const name of SECRET_SETTINGS) {
      expect(() => readSettings({ [`${name}_FILE`]: secretFile(`bad-${name}`, 'x') })).toThrow(new RegExp(`${name}: `));
    }
  });

  it('names a missing file, and refuses a secret given twice, without printing the secret', () => {
    const token = 'g'.repeat(40);
    try {
      loadConfig({ ADMIN_TOKEN_FILE: path.join(dir, 'absent'), MONGODB_URI: 'mongodb://db/x', MONGODB_URI_FILE: secretFile('uri', 'mongodb://db/y'), CONFIG_FILE: secretFile('config.json', JSON.stringify({ ADMIN_TOKEN: token })) });
      expect.unreachable();
    } catch (error) {
      expect((error as AppError).data.problems).toEqual([
        `ADMIN_TOKEN_FILE: set either ADMIN_TOKEN or ADMIN_TOKEN_FILE, not both`,
        'MONGODB_URI_FILE: set either MONGODB_URI or MONGODB_URI_FILE, not both',
      ]);
      expect((error as AppError).message).not.toContain(token);
    }
    expect(() => loadConfig({ ADMIN_TOKEN_FILE: path.join(dir, 'absent') })).toThrow(`ADMIN_TOKEN_FILE: cannot read ${path.join(dir, 'absent')} (ENOENT)`);
  });
});

describe('TRUST_PROXY for the admin/console listener', () => {
  it.each([
    [undefined, false],
    ['false', false],
    ['true', true],
    ['2', 2],
    ['loopback, 10.0.0.0/8,192.0.2.7', ['loopback', '10.0.0.0/8', '192.0.2.7']],
    ['fd00::/8', ['fd00::/8']],
  ])('%s → %j', (value, expected) => {
    expect(loadConfig(value === undefined ? {} : { TRUST_PROXY: value }).TRUST_PROXY).toEqual(expected);
  });

  it('refuses what Express could not use', () => {
    expect(() => loadConfig({ TRUST_PROXY: 'yes, 10.0.0.0/8/1' })).toThrow('TRUST_PROXY: not an address, subnet, hop count, true or false: yes, 10.0.0.0/8/1');
  });
});
