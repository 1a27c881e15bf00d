import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';

/** The application id Entra provisioning uses as the audience of the tokens it sends. */
export const ENTRA_PROVISIONING_AUDIENCE = '8adf8e6e-67b2-4cf2-a259-e3dc5476c621';

export interface EntraJwtVerifierOptions {
  jwksUrl: string;
  /** Issuer for a tenant; Entra v1 tokens use https://sts.windows.net/{tid}/. */
  issuerOf?: (tenantId: string) => string;
}

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
export function createEntraJwtVerifier({ jwksUrl, issuerOf = (tid) => `https://sts.windows.net/${tid}/` }: EntraJwtVerifierOptions) {
  const keys = createRemoteJWKSet(new URL(jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 5_000 });
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
