import { existsSync, readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import type { Readable } from 'node:stream';

export interface AdminConnection {
  url: string;
  token: string;
  ca?: string;
}

export class AdminRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Where the CLI finds the admin API: ADMIN_URL (default https://127.0.0.1:8444), ADMIN_TOKEN or
 * the token file the service wrote under DATA_DIR, and the CA that signed the server certificate.
 */
export function adminConnectionFromEnvironment(env: NodeJS.ProcessEnv = process.env): AdminConnection {
  const dataDir = env.DATA_DIR ?? './data';
  const tokenFile = path.join(dataDir, 'admin-token');
  const token = env.ADMIN_TOKEN ?? (existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined);
  if (!token) throw new Error(`No admin token: set ADMIN_TOKEN or start the service once so that it writes ${tokenFile}`);
  const caFile = env.ADMIN_CA_FILE ?? env.TLS_CLIENT_CA_FILE ?? path.join(dataDir, 'certs', 'ca.pem');
  return {
    url: env.ADMIN_URL ?? `https://127.0.0.1:${env.ADMIN_PORT ?? 8444}`,
    token,
    ca: existsSync(caFile) ? readFileSync(caFile, 'utf8') : undefined,
  };
}

export function createAdminClient(connection: AdminConnection) {
  return async function call<T = unknown>(method: string, route: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const request = https.request(
        new URL(`/admin/v1${route}`, connection.url),
        {
          method,
          ca: connection.ca,
          headers: { authorization: `Bearer ${connection.token}`, ...(payload ? { 'content-type': 'application/json' } : {}) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const parsed = text ? JSON.parse(text) : undefined;
            if ((response.statusCode ?? 500) >= 400) reject(new AdminRequestError(response.statusCode ?? 500, parsed?.code ?? 'error', parsed?.message ?? text));
            else resolve(parsed as T);
          });
        },
      );
      request.on('error', (error) => reject(new Error(`Cannot reach the admin API at ${connection.url}: ${error.message}`)));
      if (payload) request.write(payload);
      request.end();
    });
  };
}

export type AdminCall = ReturnType<typeof createAdminClient>;

/** Calls an endpoint answering NDJSON and hands each line to `onLine` as it arrives. */
/** A streamed answer that stopped before its end: the server went away mid-answer. */
export class AnswerCutOffError extends Error {}

/** A request body streamed to the admin API (a CSV file). */
export interface Upload {
  contentType: string;
  body: Readable;
}

export function streamAdmin(connection: AdminConnection, method: string, route: string, onLine: (line: Record<string, unknown>) => void, upload?: Upload): Promise<void> {
  return new Promise((resolve, reject) => {
    const headers = { authorization: `Bearer ${connection.token}`, ...(upload ? { 'content-type': upload.contentType } : {}) };
    const request = https.request(new URL(`/admin/v1${route}`, connection.url), { method, ca: connection.ca, headers }, (response) => {
      let buffered = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        try {
          for (const line of lines.filter(Boolean)) onLine(JSON.parse(line));
        } catch (error) {
          request.destroy();
          reject(error);
        }
      });
      const cutOff = () => reject(new AnswerCutOffError(`The admin API at ${connection.url} closed the connection mid-answer`));
      response.on('aborted', cutOff);
      response.on('error', cutOff);
      response.on('end', () => {
        if ((response.statusCode ?? 500) >= 400) {
          const parsed = buffered ? JSON.parse(buffered) : {};
          reject(new AdminRequestError(response.statusCode ?? 500, parsed.code ?? 'error', parsed.message ?? buffered));
        } else resolve();
      });
    });
    request.on('error', (error) => reject(new Error(`Cannot reach the admin API at ${connection.url}: ${error.message}`)));
    if (!upload) request.end();
    else {
      upload.body.once('error', (error) => request.destroy(error));
      upload.body.pipe(request);
    }
  });
}
