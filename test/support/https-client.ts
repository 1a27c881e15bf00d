import https from 'node:https';

export interface ClientCredentials {
  ca: string;
  cert?: string;
  key?: string;
  bearer?: string;
}

export interface HttpResult<T = any> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: T;
}

export interface SendOptions {
  headers?: Record<string, string>;
  /** A raw body sent as is (for malformed-JSON tests); otherwise `body` is JSON-encoded. */
  raw?: string | Buffer;
}

/** A small HTTPS client presenting a client certificate and/or a bearer token, over keep-alive. */
export function createHttpsClient(baseUrl: string, credentials: ClientCredentials) {
  const agent = new https.Agent({ ca: credentials.ca, cert: credentials.cert, key: credentials.key, keepAlive: true, maxSockets: 16 });

  function send<T = any>(method: string, path: string, body?: unknown, options: SendOptions = {}): Promise<HttpResult<T>> {
    const payload = options.raw ?? (body === undefined ? undefined : JSON.stringify(body));
    const headers: Record<string, string> = {
      accept: 'application/scim+json',
      ...(payload !== undefined ? { 'content-type': 'application/scim+json' } : {}),
      ...(credentials.bearer ? { authorization: `Bearer ${credentials.bearer}` } : {}),
      ...options.headers,
    };
    return new Promise((resolve, reject) => {
      const request = https.request(new URL(baseUrl + path), { method, agent, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text, body: parseJson(text) as T });
        });
      });
      request.on('error', reject);
      if (payload !== undefined) request.write(payload);
      request.end();
    });
  }

  return {
    send,
    get: <T = any>(path: string, options?: SendOptions) => send<T>('GET', path, undefined, options),
    post: <T = any>(path: string, body: unknown, options?: SendOptions) => send<T>('POST', path, body, options),
    put: <T = any>(path: string, body: unknown, options?: SendOptions) => send<T>('PUT', path, body, options),
    patch: <T = any>(path: string, body: unknown, options?: SendOptions) => send<T>('PATCH', path, body, options),
    delete: <T = any>(path: string, options?: SendOptions) => send<T>('DELETE', path, undefined, options),
    close: () => agent.destroy(),
  };
}

export type HttpsClient = ReturnType<typeof createHttpsClient>;

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
