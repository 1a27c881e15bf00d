import { request } from 'node:https';
import { AppError, isAppError } from '../kernel/app-error.js';
import { clientAssertion, loadAppCredential } from './client-assertion.js';
import { parseRetryAfter } from './backoff.js';
import type { GraphUserPatch } from './graph-attributes.js';

export interface GraphEndpoints {
  /** https://graph.microsoft.com, or a national cloud's. */
  graphBaseUrl: string;
  /** Token endpoint with `{tenant}`: https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token */
  tokenUrlTemplate: string;
  /** Extra CA certificates (PEM) trusted for both endpoints, besides the system's. */
  ca?: string;
  timeoutMs: number;
}

/** Which app signs in to which tenant: a registration's write-back settings. */
export interface GraphApp {
  tenantId: string;
  clientId: string;
  certificateFile: string;
  privateKeyFile: string;
}

/**
 * Why a write to Graph failed, as an AppError of status 502 (Graph's or the network's failure):
 * - `graph.unavailable`: nothing is wrong with this user's change; Graph, the network or the app's
 *   set-up is (an outage, throttling, a missing permission). Try again later, for the whole registration.
 * - `graph.refused`: Graph refused this user's change (unknown user, attribute not writable);
 *   retrying would fail the same way.
 * `data` holds Graph's answer (`graphAnswerOf`): its HTTP status, and how long it asked to wait.
 */
function graphUnavailable(message: string, graphStatus?: number, retryAfterMs?: number): AppError {
  return new AppError('graph.unavailable', message, { status: 502, data: { graphStatus, retryAfterMs } });
}

function graphRefused(message: string, graphStatus: number): AppError {
  return new AppError('graph.refused', message, { status: 502, data: { graphStatus } });
}

export function graphAnswerOf(error: AppError): { status?: number; retryAfterMs?: number } {
  return { status: error.data.graphStatus as number | undefined, retryAfterMs: error.data.retryAfterMs as number | undefined };
}

interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** Refresh a cached token this long before Entra says it expires. */
const TOKEN_EXPIRY_MARGIN_MS = 5 * 60_000;
const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/**
 * Microsoft Graph as the write-back needs it: an app-only access token from the client-credentials
 * grant with a certificate assertion (cached per app and tenant until shortly before it expires),
 * and `PATCH /v1.0/users/{id}`.
 */
export function createGraphClient(endpoints: GraphEndpoints) {
  const tokens = new Map<string, { accessToken: string; expiresAt: number }>();
  const graphBase = endpoints.graphBaseUrl.replace(/\/+$/, '');

  async function accessToken(app: GraphApp): Promise<string> {
    const key = `${app.tenantId}/${app.clientId}/${app.certificateFile}`;
    const cached = tokens.get(key);
    if (cached && cached.expiresAt - TOKEN_EXPIRY_MARGIN_MS > Date.now()) return cached.accessToken;
    const credential = loadCredential(app);
    const tokenUrl = endpoints.tokenUrlTemplate.replace('{tenant}', encodeURIComponent(app.tenantId));
    const form = new URLSearchParams({
      client_id: app.clientId,
      grant_type: 'client_credentials',
      scope: `${graphBase}/.default`,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await clientAssertion(credential, tokenUrl),
    });
    const answer = await call(tokenUrl, 'POST', { 'content-type': 'application/x-www-form-urlencoded' }, form.toString(), 'the Entra token endpoint');
    const body = parseJson(answer.text) as { access_token?: string; expires_in?: number | string; error?: string; error_description?: string };
    if (answer.status !== 200 || !body.access_token) {
      const reason = body.error ? `${body.error}: ${firstLine(body.error_description)}` : `HTTP ${answer.status}`;
      throw graphUnavailable(`the Entra token endpoint refused the app's certificate sign-in (${reason}); check tenant id, client id and the certificate registered on the app`, answer.status, retryAfterOf(answer));
    }
    tokens.set(key, { accessToken: body.access_token, expiresAt: Date.now() + Number(body.expires_in ?? 3600) * 1000 });
    return body.access_token;
  }

  /** One retry with a fresh token when Graph says the cached one is no longer good (401). */
  async function patchUser(app: GraphApp, userId: string, body: GraphUserPatch): Promise<void> {
    const url = `${graphBase}/v1.0/users/${encodeURIComponent(userId)}`;
    const send = async () => call(url, 'PATCH', { authorization: `Bearer ${await accessToken(app)}`, 'content-type': 'application/json' }, JSON.stringify(body), 'Microsoft Graph');
    let answer = await send();
    if (answer.status === 401) {
      forgetTokens(app);
      answer = await send();
    }
    if (answer.status >= 200 && answer.status < 300) return;
    throw graphRefusal(answer);
  }

  function forgetTokens(app: GraphApp): void {
    for (const key of tokens.keys()) if (key.startsWith(`${app.tenantId}/${app.clientId}/`)) tokens.delete(key);
  }

  function call(url: string, method: string, headers: Record<string, string>, body: string, what: string): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      const req = request(url, { method, headers: { ...headers, 'content-length': Buffer.byteLength(body), accept: 'application/json' }, ca: endpoints.ca ? [endpoints.ca] : undefined, timeout: endpoints.timeoutMs }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        res.on('error', (error) => reject(unreachable(what, error)));
      });
      req.on('timeout', () => req.destroy(graphUnavailable(`${what} did not answer within ${endpoints.timeoutMs} ms`)));
      req.on('error', (error) => reject(isAppError(error, 'graph') ? error : unreachable(what, error)));
      req.end(body);
    });
  }

  return { patchUser, accessToken };
}

export type GraphClient = ReturnType<typeof createGraphClient>;

function loadCredential(app: GraphApp) {
  try {
    return loadAppCredential(app);
  } catch (error) {
    if (isAppError(error, 'writeback.credential_unreadable')) throw graphUnavailable(error.message);
    throw graphUnavailable(`the app's certificate or key could not be read: ${(error as Error).message}`);
  }
}

function graphRefusal(answer: HttpAnswer): AppError {
  const graphError = (parseJson(answer.text) as { error?: { code?: string; message?: string } }).error;
  const reason = `HTTP ${answer.status}${graphError?.code ? ` ${graphError.code}` : ''}${graphError?.message ? `: ${firstLine(graphError.message)}` : ''}`;
  if (RETRY_STATUSES.has(answer.status)) return graphUnavailable(`Microsoft Graph is unavailable or throttling (${reason})`, answer.status, retryAfterOf(answer));
  if (answer.status === 401 || answer.status === 403) {
    return graphUnavailable(`Microsoft Graph refused the app (${reason}); the app needs the User.ReadWrite.All application permission with admin consent in the customer's tenant`, answer.status);
  }
  return graphRefused(`Microsoft Graph refused the change (${reason})`, answer.status);
}

function unreachable(what: string, error: Error): AppError {
  return graphUnavailable(`${what} is unreachable (${(error as NodeJS.ErrnoException).code ?? error.message})`);
}

function retryAfterOf(answer: HttpAnswer): number | undefined {
  const header = answer.headers['retry-after'];
  return parseRetryAfter(Array.isArray(header) ? header[0] : header);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return {};
  }
}

function firstLine(text: string | undefined): string {
  return (text ?? '').split(/\r?\n/)[0]!.slice(0, 300);
}
