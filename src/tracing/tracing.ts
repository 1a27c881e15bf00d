import { register } from 'node:module';

export interface Tracing {
  /** Exports the spans still buffered; call last at shutdown. */
  shutdown(): Promise<void>;
}

/** The response header that carries the request's correlation id (set by the correlation-id middleware). */
const CORRELATION_HEADER = 'x-request-id';

/**
 * OpenTelemetry tracing, loaded only when OTEL_EXPORTER_OTLP_ENDPOINT is set (main.ts imports this
 * file dynamically, so an unset endpoint loads nothing). Must run before the modules it
 * instruments are imported: HTTP (incoming `traceparent` honoured, W3C propagation is the
 * default), Express and the MongoDB driver, exported over OTLP/HTTP.
 */
export async function startTracing({ endpoint, serviceName, serviceVersion }: { endpoint: string; serviceName: string; serviceVersion: string }): Promise<Tracing> {
  // ES modules are only instrumented through this loader hook (CommonJS ones through require).
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const [{ NodeSDK, resources }, { OTLPTraceExporter }, { HttpInstrumentation }, { ExpressInstrumentation }, { MongoDBInstrumentation }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-express'),
    import('@opentelemetry/instrumentation-mongodb'),
  ]);
  const sdk = new NodeSDK({
    resource: resources.resourceFromAttributes({ 'service.name': serviceName, 'service.version': serviceVersion }),
    traceExporter: new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` }),
    instrumentations: [
      new HttpInstrumentation({
        // The server span of each request carries its correlation id, so a trace and the audit trail join up.
        applyCustomAttributesOnSpan: (span, _request, response) => {
          const correlationId = 'getHeader' in response ? response.getHeader(CORRELATION_HEADER) : undefined;
          if (typeof correlationId === 'string') span.setAttribute('correlation_id', correlationId);
        },
      }),
      new ExpressInstrumentation(),
      new MongoDBInstrumentation(),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
