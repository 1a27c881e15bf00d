import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigSchema } from '../../../src/config/schema.js';

/** No Docker engine runs here, so the compose file is checked for what it names rather than run. */
describe('docker-compose.yml matches the project and the README', () => {
  const compose = parse(readFileSync('docker-compose.yml', 'utf8'));
  const readme = readFileSync('README.md', 'utf8');
  const service = compose.services.scim;

  it('builds the service from this folder with a Dockerfile that copies files that exist', () => {
    expect(service.build).toBe('.');
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    const copied = [...dockerfile.matchAll(/^COPY (.+) \S+$/gm)].flatMap((match) => match[1]!.split(' '));
    for (const file of copied) expect(existsSync(file), `Dockerfile copies ${file}`).toBe(true);
  });

  it('runs MongoDB as a one-node replica set with its data on a named volume', () => {
    expect(compose.services.mongo.command).toEqual(expect.arrayContaining(['--replSet', 'rs0']));
    expect(compose.services.mongo.volumes[0]).toMatch(/^mongo-data:/);
    expect(Object.keys(compose.volumes)).toContain('mongo-data');
    expect(service.environment.MONGODB_URI).toContain('replicaSet=rs0');
  });

  it('sets only settings the service knows, each listed in the README', () => {
    const known = Object.keys(ConfigSchema.shape);
    for (const name of Object.keys(service.environment)) {
      expect(known, `${name} is a setting`).toContain(name);
      expect(readme, `${name} is documented`).toContain(`\`${name}\``);
    }
  });

  it('mounts certificates at the paths its TLS settings name, and publishes the SCIM and admin ports', () => {
    expect(service.volumes).toContain('./certs:/certs:ro');
    for (const name of ['TLS_CERT_FILE', 'TLS_KEY_FILE', 'TLS_CLIENT_CA_FILE']) expect(service.environment[name]).toMatch(/^\/certs\//);
    expect(service.ports).toEqual([`${service.environment.SCIM_PORT}:${service.environment.SCIM_PORT}`, `${service.environment.ADMIN_PORT}:${service.environment.ADMIN_PORT}`]);
    const exposed = readFileSync('Dockerfile', 'utf8').match(/^EXPOSE (.+)$/m)![1]!.split(' ');
    expect(exposed).toEqual([service.environment.SCIM_PORT, service.environment.ADMIN_PORT]);
  });

  it('the certificate files it mounts are the ones certs.example shows how to make', () => {
    for (const name of ['TLS_CERT_FILE', 'TLS_KEY_FILE', 'TLS_CLIENT_CA_FILE']) {
      const file = service.environment[name].replace('/certs/', 'certs.example/');
      expect(existsSync(file), `${file} exists`).toBe(true);
    }
  });
});
