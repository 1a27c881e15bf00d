/**
 * The load generator of the benchmarks, in a process of its own so that it can be pinned to one
 * core while the server under test has the other (`taskset`). It reads a plan (JSON file named on
 * the command line), drives autocannon with it and prints one JSON line with the result.
 *
 * Requests are listed up front and cycled; `{{uuid}}` in a path or body is replaced per request,
 * so a POST can create a new user each time without the plan carrying a function.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface PlannedRequest {
  method: string;
  path: string;
  body?: string;
}

export interface LoadPlan {
  url: string;
  tls: { cert?: string; key?: string; ca: string };
  headers: Record<string, string>;
  requests: PlannedRequest[];
  seconds: number;
  connections: number;
}

export interface LoadResult {
  requestsPerSecond: number;
  mean: number;
  p50: number;
  p99: number;
  errors: number;
  /** Answers by HTTP status, and connection errors/timeouts: what `errors` is made of. */
  statuses: Record<string, number>;
}

async function run(plan: LoadPlan): Promise<LoadResult> {
  const basePath = new URL(plan.url).pathname.replace(/\/$/, '');
  let next = 0;
  const result = await autocannon({
    url: plan.url,
    duration: plan.seconds,
    connections: plan.connections,
    tlsOptions: plan.tls,
    headers: { 'content-type': 'application/scim+json', ...plan.headers },
    requests: [
      {
        setupRequest: (request: { path: string; method: string; body?: string }) => {
          const planned = plan.requests[next++ % plan.requests.length]!;
          const fill = (text: string) => (text.includes('{{uuid}}') ? text.replaceAll('{{uuid}}', randomUUID()) : text);
          return { ...request, method: planned.method, path: basePath + fill(planned.path), body: planned.body === undefined ? undefined : fill(planned.body) };
        },
      },
    ],
  } as autocannon.Options);
  return {
    requestsPerSecond: Math.round(result.requests.average),
    mean: Number(result.latency.average.toFixed(2)),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    statuses: {
      ...Object.fromEntries(Object.entries((result as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {}).map(([status, { count }]) => [status, count])),
      ...(result.errors ? { connectionErrors: result.errors } : {}),
      ...(result.timeouts ? { timeouts: result.timeouts } : {}),
    },
  };
}

const planFile = process.argv[2];
if (!planFile) throw new Error('usage: load-generator.ts <plan.json>');
run(JSON.parse(readFileSync(planFile, 'utf8')) as LoadPlan).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
