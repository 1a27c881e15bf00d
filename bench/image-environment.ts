/**
 * The environment the Docker image runs the service with (NODE_ENV, NODE_OPTIONS…), read from the
 * `ENV` lines of the Dockerfile's last stage, so a benchmark that starts `dist/server.js` itself
 * measures the service as it ships, and the Dockerfile stays the one place that says it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const DOCKERFILE = path.resolve(import.meta.dirname, '..', 'Dockerfile');

export function imageEnvironment(names: string[] = ['NODE_ENV', 'NODE_OPTIONS']): Record<string, string> {
  const lines = readFileSync(DOCKERFILE, 'utf8').replace(/\\\n/g, ' ').split('\n').map((line) => line.trim());
  const runtime = lines.slice(lines.findLastIndex((line) => /^FROM\s/i.test(line)));
  const variables = runtime.filter((line) => /^ENV\s/i.test(line)).flatMap((line) => [...line.matchAll(/(\w+)=(\S+)/g)].map(([, name, value]) => [name!, value!] as const));
  return Object.fromEntries(variables.filter(([name]) => names.includes(name)));
}
