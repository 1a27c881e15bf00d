import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/load.js';

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
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
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
