import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigSchema } from '../../../src/config/schema.js';

const run = promisify(execFile);

interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  name: string;
  instructions: Instruction[];
}

/** The Dockerfile as its stages and instructions (continuation lines joined, comments dropped). */
function dockerfileStages(text: string): Stage[] {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, keyword, args] = line.match(/^(\S+)\s+(.*)$/)!;
    const instruction = { keyword: keyword!.toUpperCase(), args: args!.replace(/\s+/g, ' ') };
    if (instruction.keyword === 'FROM') stages.push({ name: instruction.args.match(/ AS (\S+)$/i)?.[1] ?? '', instructions: [] });
    stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

const args = (stage: Stage, keyword: string) => stage.instructions.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.args);

/** No Docker engine runs here, so the Dockerfile and compose file are checked for what they name rather than run. */
describe('Dockerfile, .dockerignore and docker-compose.yml match the project and the README', () => {
  const compose = parse(readFileSync('docker-compose.yml', 'utf8'));
  const readme = readFileSync('README.md', 'utf8');
  const stages = dockerfileStages(readFileSync('Dockerfile', 'utf8'));
  const [build, runtime] = [stages.find((stage) => stage.name === 'build')!, stages.at(-1)!];
  const ignored = readFileSync('.dockerignore', 'utf8').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
  const service = compose.services.scim;
  const env = (name: string) => runtime.instructions.filter((i) => i.keyword === 'ENV').flatMap((i) => [...i.args.matchAll(/(\w+)=(\S+)/g)]).find(([, key]) => key === name)?.[2];

  it('builds in a stage with the toolchain; better-sqlite3 is the version that ships its Node-API binaries in the package (nothing fetched from GitHub)', () => {
    expect(stages.map((stage) => stage.name)).toEqual(['build', 'runtime']);
    expect(args(build, 'RUN').join(' ')).toMatch(/apt-get install .*python3 make g\+\+/);
    const locked = JSON.parse(readFileSync('package-lock.json', 'utf8')).packages['node_modules/better-sqlite3'];
    expect(Number(locked.version.split('.')[0])).toBeGreaterThanOrEqual(13);
    expect(locked.hasInstallScript).toBeUndefined();
    expect(args(build, 'RUN')).toEqual(expect.arrayContaining(['npm ci', 'npm run build', 'npm prune --omit=dev']));
    expect(args(build, 'COPY')).toContain('tsconfig.json tsconfig.build.json ./');
  });

  it('runs compiled JavaScript as a non-root user, with only production dependencies, dist and the schemas', () => {
    const users = args(runtime, 'USER');
    expect(users.length).toBe(1);
    expect(users[0]).not.toMatch(/^(root|0)(:|$)/);
    expect(args(runtime, 'CMD')).toEqual(['["node", "dist/server.js"]']);
    expect(args(runtime, 'COPY').filter((copy) => copy.startsWith('--from=build'))).toEqual([
      '--from=build /app/package.json ./package.json',
      '--from=build /app/node_modules ./node_modules',
      '--from=build /app/dist ./dist',
    ]);
    expect(args(runtime, 'RUN').join(' ')).not.toMatch(/npm (ci|install)|tsx/);
    expect(env('NODE_ENV')).toBe('production');
  });

  it('caps V8\'s young generation, which keeps the service under its memory target (bench/rss.ts)', () => {
    expect(env('NODE_OPTIONS')).toBe('--max-semi-space-size=16');
    expect(readme).toContain('`NODE_OPTIONS=--max-semi-space-size=16`');
  });

  it('keeps DATA_DIR (admin token, embedded store) on the /data volume that compose mounts', () => {
    expect(env('DATA_DIR')).toBe('/data');
    expect(args(runtime, 'VOLUME')).toEqual(['["/data"]']);
    expect(service.environment.DATA_DIR).toBe('/data');
    const dataVolume = service.volumes.find((volume: string) => volume.endsWith(':/data'));
    expect(dataVolume, 'a named volume on /data').toMatch(/^[a-z][\w-]*:\/data$/);
    expect(Object.keys(compose.volumes)).toContain(dataVolume.split(':')[0]);
  });

  it('copies only files that exist and that .dockerignore lets into the build context', () => {
    const copied = stages.flatMap((stage) => args(stage, 'COPY')).filter((copy) => !copy.startsWith('--from')).flatMap((copy) => copy.split(' ').slice(0, -1));
    expect(copied.length).toBeGreaterThan(3);
    for (const file of copied) {
      expect(existsSync(file), `Dockerfile copies ${file}`).toBe(true);
      expect(ignored, `.dockerignore keeps ${file} out`).not.toContain(file);
    }
  });

  it('.dockerignore keeps node_modules, data/ (with its admin token), certs/ and .git out of the image', () => {
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'data', 'certs', '.git']));
  });

  it('checks its health with bin/healthcheck.js against /healthz on the admin port', () => {
    const [healthcheck] = args(runtime, 'HEALTHCHECK');
    expect(healthcheck).toMatch(/CMD \["node", "bin\/healthcheck.js"\]$/);
    expect(readFileSync('bin/healthcheck.js', 'utf8')).toMatch(/process\.env\.ADMIN_PORT[\s\S]*path: '\/healthz'/);
  });

  it('runs MongoDB as a one-node replica set, healthy only once it is PRIMARY, and the service waits for it', () => {
    const mongo = compose.services.mongo;
    expect(mongo.command).toEqual(expect.arrayContaining(['--replSet', 'rs0']));
    expect(mongo.volumes[0]).toMatch(/^mongo-data:/);
    expect(Object.keys(compose.volumes)).toContain('mongo-data');
    const check = mongo.healthcheck.test.join(' ');
    expect(check).toContain("rs.initiate({_id: 'rs0'");
    expect(check).toMatch(/if \(!db\.hello\(\)\.isWritablePrimary\) quit\(1\)/);
    expect(service.depends_on).toEqual({ mongo: { condition: 'service_healthy' } });
    expect(service.environment.MONGODB_URI).toContain('replicaSet=rs0');
  });

  it('restarts both services unless they were stopped', () => {
    for (const name of Object.keys(compose.services)) expect(compose.services[name].restart, name).toBe('unless-stopped');
  });

  it('sets only settings the service knows, each listed in the README', () => {
    const known = Object.keys(ConfigSchema.shape);
    for (const name of Object.keys(service.environment)) {
      expect(known, `${name} is a setting`).toContain(name);
      expect(readme.includes(`\`${name}\``), `${name} is documented in the README`).toBe(true);
    }
  });

  it('publishes SCIM on every interface and the admin API and console on 127.0.0.1 only, on the ports it configures', () => {
    const { SCIM_PORT, ADMIN_PORT } = service.environment;
    expect(service.ports).toEqual([`${SCIM_PORT}:${SCIM_PORT}`, `127.0.0.1:${ADMIN_PORT}:${ADMIN_PORT}`]);
    expect(args(runtime, 'EXPOSE')).toEqual([`${SCIM_PORT} ${ADMIN_PORT}`]);
    expect([env('SCIM_PORT'), env('ADMIN_PORT')]).toEqual([SCIM_PORT, ADMIN_PORT]);
    expect(readme.includes(`127.0.0.1:${ADMIN_PORT}:${ADMIN_PORT}`), 'the README says where the admin port is published').toBe(true);
  });

  it('mounts certificates at the paths its TLS settings name, the ones certs.example shows how to make', () => {
    expect(service.volumes).toContain('./certs:/certs:ro');
    for (const name of ['TLS_CERT_FILE', 'TLS_KEY_FILE', 'TLS_CLIENT_CA_FILE']) {
      expect(service.environment[name]).toMatch(/^\/certs\//);
      const file = service.environment[name].replace('/certs/', 'certs.example/');
      expect(existsSync(file), `${file} exists`).toBe(true);
    }
  });
});

describe('bin/healthcheck.js, the image HEALTHCHECK', () => {
  const servers: Server[] = [];
  afterAll(() => servers.forEach((server) => server.close()));

  /** A real HTTPS server on 127.0.0.1 standing in for the admin listener, answering /healthz with `status`. */
  async function adminListener(status: number): Promise<{ port: number; paths: string[] }> {
    const paths: string[] = [];
    const server = createServer(
      { cert: readFileSync('certs.example/server.pem'), key: readFileSync('certs.example/server-key.pem') },
      (request, response) => {
        paths.push(request.url!);
        response.writeHead(status).end();
      },
    );
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as AddressInfo).port, paths };
  }

  const healthcheck = (port: number) =>
    run(process.execPath, ['bin/healthcheck.js'], { env: { PATH: process.env.PATH, ADMIN_PORT: String(port) } }).then(
      () => 0,
      (error: { code: number }) => error.code,
    );

  it('is healthy when /healthz answers 200 on ADMIN_PORT', async () => {
    const listener = await adminListener(200);
    expect(await healthcheck(listener.port)).toBe(0);
    expect(listener.paths).toEqual(['/healthz']);
  });

  it('is unhealthy when /healthz answers 503 or nothing listens', async () => {
    const listener = await adminListener(503);
    expect(await healthcheck(listener.port)).toBe(1);
    const closed = await adminListener(200);
    await new Promise((resolve) => servers.pop()!.close(resolve));
    expect(await healthcheck(closed.port)).toBe(1);
  });
});
