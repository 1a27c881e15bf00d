import https from 'node:https';
import type { HttpResult } from './https-client.js';

export interface SlowRequestOptions {
  method: string;
  body: unknown;
  ca: string;
  cert?: string;
  key?: string;
  headers?: Record<string, string>;
}

export interface SlowRequest {
  /** Sends the rest of the body; resolves with the response. */
  finish(): Promise<HttpResult>;
}

/**
 * A request whose body the client sends slowly, as a real slow client would: resolves once the
 * server has taken the request (it answered `100 Continue`, so the request is in progress there)
 * and the first half of the body is on the wire. The response comes after `finish()`.
 */
export function startSlowRequest(url: string, { method, body, ca, cert, key, headers = {} }: SlowRequestOptions): Promise<SlowRequest> {
  const payload = Buffer.from(JSON.stringify(body));
  const half = Math.floor(payload.length / 2);
  const request = https.request(new URL(url), {
    method,
    ca,
    cert,
    key,
    agent: false,
    headers: { 'content-type': 'application/scim+json', 'content-length': String(payload.length), expect: '100-continue', ...headers },
  });
  const response = new Promise<HttpResult>((resolve, reject) => {
    request.on('response', (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: answer.statusCode ?? 0, headers: answer.headers, text, body: text ? JSON.parse(text) : undefined });
      });
    });
    request.on('error', reject);
  });
  // A connection cut before finish() is reported by finish(), not as an unhandled rejection.
  response.catch(() => undefined);
  return new Promise((resolve, reject) => {
    request.once('error', reject);
    request.once('continue', () => {
      request.write(payload.subarray(0, half), () =>
        resolve({
          finish: () => {
            request.end(payload.subarray(half));
            return response;
          },
        }),
      );
    });
    request.flushHeaders();
  });
}
