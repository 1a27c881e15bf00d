import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { createRemoteJWKSet, customFetch, decodeJwt, jwtVerify, type FetchImplementation, type JWTPayload } from 'jose';

/** The application id Entra provisioning uses as the audience of the tokens it sends. */
export const ENTRA_PROVISIONING_AUDIENCE = '8adf8e6e-67b2-4cf2-a259-e3dc5476c621';

export interface EntraJwtVerifierOptions {
  jwksUrl: string;
  /** Issuer for a tenant; Entra v1 tokens use https://sts.windows.net/{tid}/. */
  issuerOf?: (tenantId: string) => string;
  /** CA certificate(s) (PEM) trusted for the JWKS URL besides the system roots. */
  extraCa?: string;
}

/**
 * Keys are fetched once and kept (jose: reused for 10 minutes; an unknown key id refetches at
 * most every 30 s), whichever tenant a token names: an unauthenticated caller cannot make the
 * service fetch keys on demand, nor tell a customer's tenant from the time of the answer.
 */
const JWKS_CACHE = { cacheMaxAge: 600_000, cooldownDuration: 30_000, timeoutDuration: 5_000 };

export type JwtCheck = { ok: true; tenantId: string; subject: string } | { ok: false; detail: string };

export function looksLikeJwt(token: string): boolean {
  return token.split('.').length === 3;
}

/** Reads the tenant id before verification, only to pick the registration whose tenant must match. */
export function unverifiedTenantId(token: string): string | undefined {
  try {
    const tid = decodeJwt(token).tid;
    return typeof tid === 'string' ? tid : undefined;
  } catch {
    return undefined;
  }
}

/** Verifies signature (RS256 only: `alg: none` is refused), audience, expiry and issuer. */
export function createEntraJwtVerifier({ jwksUrl, issuerOf = (tid) => `https://sts.windows.net/${tid}/`, extraCa }: EntraJwtVerifierOptions) {
  const keys = createRemoteJWKSet(new URL(jwksUrl), { ...JWKS_CACHE, ...(extraCa ? { [customFetch]: fetchTrusting(extraCa) } : {}) });
  return async (token: string, tenantId: string): Promise<JwtCheck> => {
    try {
      const { payload } = await jwtVerify(token, keys, {
        audience: ENTRA_PROVISIONING_AUDIENCE,
        issuer: issuerOf(tenantId),
        algorithms: ['RS256'],
        requiredClaims: ['exp', 'tid'],
      });
      if (payload.tid !== tenantId) return { ok: false, detail: 'tid does not match the registration tenant' };
      return { ok: true, tenantId, subject: subjectOf(payload) };
    } catch (error) {
      return { ok: false, detail: (error as { code?: string }).code ?? (error as Error).message };
    }
  };
}

export type EntraJwtVerifier = ReturnType<typeof createEntraJwtVerifier>;

function subjectOf(payload: JWTPayload): string {
  const appId = payload.appid ?? payload.azp;
  return typeof appId === 'string' ? `entra-app:${appId}` : `entra-sub:${payload.sub ?? 'unknown'}`;
}

/** A fetch for jose that trusts `extraCa` besides the system roots (Node's fetch takes no CA option). */
function fetchTrusting(extraCa: string): FetchImplementation {
  const ca = [...rootCertificates, extraCa];
  return (url, { headers, signal }) =>
    new Promise((resolve, reject) => {
      const request = https.get(url, { ca, headers: Object.fromEntries(headers), signal }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => resolve(new Response(Buffer.concat(chunks), { status: response.statusCode, headers: response.headers as Record<string, string> })));
      });
      request.on('error', reject);
    });
}
