import { existsSync, readFileSync } from 'node:fs';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { dataPaths, readSettings } from '../config/load.js';
import { devCertificateFiles } from '../pki/dev-certificate-files.js';
import { AppError } from '../kernel/app-error.js';

export interface AdminConnection {
  url: string;
  token: string;
  ca?: string | string[];
}

/** A refusal of the admin API, with the code, message and status it answered. */
function refusal(status: number, answer: { code?: string; message?: string } | undefined, text: string): AppError {
  return new AppError(answer?.code ?? 'error', answer?.message ?? text, { status });
}

/**
 * Where the CLI finds the admin API, read from the same settings as the service (CONFIG_FILE, HOST,
 * ADMIN_PORT, DATA_DIR, ADMIN_TOKEN or ADMIN_TOKEN_FILE, TLS_*), so that the CLI run with the service's
 * environment reaches it. ADMIN_URL and ADMIN_CA_FILE override the address and the CA to trust.
 */
export function adminConnectionFromEnvironment(env: NodeJS.ProcessEnv = process.env): AdminConnection {
  const settings = readSettings(env);
  const tokenFile = dataPaths.adminToken(settings.DATA_DIR);
  const token = settings.ADMIN_TOKEN ?? (existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined);
  if (!token) throw new Error(`No admin token: set ADMIN_TOKEN (or ADMIN_TOKEN_FILE), or start the service once so that it writes ${tokenFile}`);
  return { url: env.ADMIN_URL ?? `https://${reachable(settings.HOST)}:${settings.ADMIN_PORT}`, token, ca: trustedCas(env, settings) };
}

/** A wildcard bind address is reached on loopback; an IPv6 literal goes in brackets. */
function reachable(host: string): string {
  const address = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

/**
 * ADMIN_CA_FILE; else the development CA when the service makes its own certificates; else the public
 * roots plus TLS_CLIENT_CA_FILE (a server certificate from a public CA, or from the CA of the clients).
 */
function trustedCas(env: NodeJS.ProcessEnv, settings: ReturnType<typeof readSettings>): string | string[] | undefined {
  if (env.ADMIN_CA_FILE) return readFileSync(env.ADMIN_CA_FILE, 'utf8');
  if (!settings.TLS_CERT_FILE) {
    const developmentCa = devCertificateFiles(dataPaths.developmentCertificates(settings.DATA_DIR)).caCert;
    return existsSync(developmentCa) ? readFileSync(developmentCa, 'utf8') : undefined;
  }
  return settings.TLS_CLIENT_CA_FILE ? [...rootCertificates, readFileSync(settings.TLS_CLIENT_CA_FILE, 'utf8')] : undefined;
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
            if ((response.statusCode ?? 500) >= 400) reject(refusal(response.statusCode ?? 500, parsed, text));
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
      // The server went away mid-answer.
      const cutOff = () => reject(new AppError('cli.answer_cut_off', `The admin API at ${connection.url} closed the connection mid-answer`));
      response.on('aborted', cutOff);
      response.on('error', cutOff);
      response.on('end', () => {
        if ((response.statusCode ?? 500) >= 400) {
          reject(refusal(response.statusCode ?? 500, buffered ? JSON.parse(buffered) : {}, buffered));
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
