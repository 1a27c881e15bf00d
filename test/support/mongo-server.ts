import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { cpSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import dns from 'node:dns/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface MongoServer {
  uri: string;
  kind: string;
  /** The server's process, when the tests started it (to freeze it with SIGSTOP). */
  pid?: number;
  stop(): Promise<void>;
}

const FERRETDB_VERSION = 'v1.24.2';
const CACHE = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'scim-voice-portal', `ferretdb-${FERRETDB_VERSION}`);
const FERRETDB_BINARY = path.join(CACHE, 'ferretdb');

/**
 * A real MongoDB-protocol server for the tests, in this order: MONGODB_URI; a real mongod from
 * mongodb-memory-server-core (where it can be downloaded); FerretDB v1 with its SQLite backend,
 * built once with Go into a cache outside the repository. Never a mock: if none works, this throws.
 */
export async function startMongoServer(): Promise<MongoServer> {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI, kind: 'MONGODB_URI', stop: async () => undefined };
  const attempts: string[] = [];
  for (const start of [startMemoryServer, startFerretDb]) {
    try {
      const server = await start();
      return attempts.length === 0 ? server : { ...server, kind: `${server.kind}; not used: ${attempts.join('; ')}` };
    } catch (error) {
      attempts.push(`${start.name}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`No MongoDB-protocol server could be started for the tests:\n  ${attempts.join('\n  ')}\nSet MONGODB_URI to a MongoDB you can use.`);
}

async function startMemoryServer(): Promise<MongoServer> {
  await assertMongodObtainable();
  const { MongoMemoryServer } = await import('mongodb-memory-server-core');
  const server = await withTimeout(MongoMemoryServer.create({ instance: { ip: '127.0.0.1' } }), 20_000, 'mongod download or start timed out');
  return { uri: server.getUri(), kind: 'mongod (mongodb-memory-server)', pid: server.instanceInfo?.instance.mongodProcess?.pid, stop: async () => void (await server.stop()) };
}

/** Fails fast, in one line, where mongod is neither cached nor downloadable (the library logs a long trace). */
async function assertMongodObtainable(): Promise<void> {
  const cache = process.env.MONGOMS_DOWNLOAD_DIR ?? path.join(os.homedir(), '.cache', 'mongodb-binaries');
  if (existsSync(cache) && readdirSync(cache).some((name) => name.startsWith('mongod'))) return;
  const host = new URL(process.env.MONGOMS_DOWNLOAD_MIRROR ?? 'https://fastdl.mongodb.org').hostname;
  await dns.lookup(host).catch(() => {
    throw new Error(`mongod is not cached and ${host} cannot be reached to download it`);
  });
}

async function startFerretDb(): Promise<MongoServer> {
  if (!existsSync(FERRETDB_BINARY)) buildFerretDb();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ferretdb-'));
  const port = await freePort();
  const child = spawn(
    FERRETDB_BINARY,
    ['--handler=sqlite', `--sqlite-url=file:${dir}/`, `--state-dir=${dir}`, `--listen-addr=127.0.0.1:${port}`, '--debug-addr=127.0.0.1:0', '--telemetry=disable', '--log-level=error'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await waitForPort(port, child, () => stderr);
  return {
    uri: `mongodb://127.0.0.1:${port}/`,
    kind: `FerretDB ${FERRETDB_VERSION} (SQLite backend)`,
    pid: child.pid,
    stop: async () => {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * `go install …@v1.24.2` fails on this network (the deprecation lookup is refused), so the
 * module is downloaded, its version file written (without it the binary panics) and built.
 */
function buildFerretDb(): void {
  const info = JSON.parse(execFileSync('go', ['mod', 'download', '-json', `github.com/FerretDB/FerretDB@${FERRETDB_VERSION}`], { encoding: 'utf8' })) as { Dir: string };
  const source = mkdtempSync(path.join(os.tmpdir(), 'ferretdb-src-'));
  try {
    cpSync(info.Dir, source, { recursive: true });
    chmodRecursive(source);
    writeFileSync(path.join(source, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    mkdirSync(CACHE, { recursive: true });
    execFileSync('go', ['build', '-o', FERRETDB_BINARY, './cmd/ferretdb'], { cwd: source, stdio: 'inherit', env: { ...process.env, GOFLAGS: '-mod=mod' } });
  } finally {
    rmSync(source, { recursive: true, force: true });
  }
}

function chmodRecursive(dir: string): void {
  execFileSync('chmod', ['-R', 'u+w', dir]);
  chmodSync(dir, 0o755);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  for (let waited = 0; waited < 20_000; waited += 100) {
    if (child.exitCode !== null) throw new Error(`FerretDB exited: ${output()}`);
    if (await canConnect(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`FerretDB did not listen on ${port}: ${output()}`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(message)), ms).unref())]);
}

/** A MongoDB-protocol server of the calling test file's own, never MONGODB_URI's: for tests that stop or freeze it. */
export async function startOwnMongoServer(): Promise<MongoServer> {
  const saved = process.env.MONGODB_URI;
  delete process.env.MONGODB_URI;
  try {
    return await startMongoServer();
  } finally {
    if (saved) process.env.MONGODB_URI = saved;
  }
}
