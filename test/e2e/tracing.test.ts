import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, startTestService, type TestService } from '../support/test-service.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import { createHttpsClient } from '../support/https-client.js';

interface ExportedSpan {
  traceId: string;
  name: string;
  attributes: Record<string, unknown>;
}

/** A collector's OTLP/HTTP (JSON) trace endpoint on 127.0.0.1, keeping every span it is sent. */
async function startCollector(): Promise<{ url: string; spans: ExportedSpan[]; close(): Promise<void> }> {
  const spans: ExportedSpan[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') spans.push(...spansOf(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function spansOf(request: { resourceSpans?: { scopeSpans?: { spans?: { traceId: string; name: string; attributes?: { key: string; value: Record<string, unknown> }[] }[] }[] }[] }): ExportedSpan[] {
  return (request.resourceSpans ?? []).flatMap((resource) =>
    (resource.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        traceId: span.traceId,
        name: span.name,
        attributes: Object.fromEntries((span.attributes ?? []).map(({ key, value }) => [key, Object.values(value)[0]])),
      })),
    ),
  );
}

describe.each(STORE_KINDS)('OpenTelemetry tracing when OTEL_EXPORTER_OTLP_ENDPOINT is set (%s store)', (kind) => {
  let service: TestService;
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let running: ServiceProcess | undefined;
  beforeAll(async () => {
    service = await startTestService(kind);
    collector = await startCollector();
  });
  afterAll(async () => {
    running?.child.kill('SIGKILL');
    await collector.close();
    await service.stop();
  });

  // Loading every module through the instrumentation hook makes this start-up slow on a busy machine: a generous timeout.
  it('a SCIM request is exported as a trace that continues the incoming traceparent and carries the correlation id', async () => {
    const registration = await service.registration('traced');
    running = await startServiceProcess(service, { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url });
    expect(running.output()).toContain('"tracing":"on"');
    const traceId = randomBytes(16).toString('hex');
    const correlationId = `trace-${randomUUID()}`;
    const scim = createHttpsClient(running.scimUrl, { ca: service.ca.certificatePem, cert: registration.certificate.certificatePem, key: registration.certificate.privateKeyPem });
    const listed = await scim.get('/Users', { headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`, 'client-request-id': correlationId } });
    scim.close();
    expect(listed.status).toBe(200);

    // Spans still buffered are exported at shutdown.
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    const trace = collector.spans.filter((span) => span.traceId === traceId);
    expect(trace.find((span) => span.attributes.correlation_id === correlationId)).toMatchObject({ attributes: { 'http.request.method': 'GET', 'http.route': '/scim/v2/Users' } });
    expect(trace.some((span) => span.attributes['express.type'] !== undefined)).toBe(true);
    if (kind === 'mongodb') expect(trace.some((span) => span.attributes['db.system'] === 'mongodb' || span.attributes['db.system.name'] === 'mongodb')).toBe(true);
  }, 120_000);
});
