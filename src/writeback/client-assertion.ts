import { createHash, createPrivateKey, randomUUID, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import { AppError } from '../kernel/app-error.js';

/** The app's own credential (REG-3): its client id and the certificate registered on it. */
export interface AppCredential {
  clientId: string;
  certificate: X509Certificate;
  privateKey: KeyObject;
}

/** Lifetime of an assertion: it is used once, straight away. */
const ASSERTION_LIFETIME_SECONDS = 300;

/** The app's certificate or key file cannot be used: `writeback.credential_unreadable`, saying which and why. */
function unreadable(message: string): AppError {
  return new AppError('writeback.credential_unreadable', message, { status: 500 });
}

/** Reads certificate and key (one PEM file may hold both). The key never leaves this object. */
export function loadAppCredential({ clientId, certificateFile, privateKeyFile }: { clientId: string; certificateFile: string; privateKeyFile: string }): AppCredential {
  const certificatePem = readPem(certificateFile, 'certificate', /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/);
  const keyPem = readPem(privateKeyFile, 'private key', /-----BEGIN (?:RSA )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA )?PRIVATE KEY-----/);
  const certificate = new X509Certificate(certificatePem);
  const privateKey = createPrivateKey(keyPem);
  if (privateKey.asymmetricKeyType !== 'rsa' || !certificate.checkPrivateKey(privateKey)) {
    throw unreadable(`${privateKeyFile} is not the RSA private key of the certificate in ${certificateFile}`);
  }
  return { clientId, certificate, privateKey };
}

/**
 * The client assertion of the OAuth 2.0 client-credentials grant with a certificate (Microsoft
 * identity platform "certificate credentials"): PS256, the certificate's SHA-256 thumbprint as
 * `x5t#S256` (and SHA-1 as `x5t` for older validators), `aud` the token endpoint, `iss` = `sub` =
 * the client id, a unique `jti`, and a short life.
 */
export function clientAssertion(credential: AppCredential, tokenEndpoint: string, nowMs = Date.now()): Promise<string> {
  const now = Math.floor(nowMs / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'PS256', typ: 'JWT', 'x5t#S256': thumbprint(credential.certificate, 'sha256'), x5t: thumbprint(credential.certificate, 'sha1') })
    .setIssuer(credential.clientId)
    .setSubject(credential.clientId)
    .setAudience(tokenEndpoint)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + ASSERTION_LIFETIME_SECONDS)
    .sign(credential.privateKey);
}

export function thumbprint(certificate: X509Certificate, algorithm: 'sha1' | 'sha256'): string {
  return createHash(algorithm).update(certificate.raw).digest('base64url');
}

function readPem(file: string, what: string, block: RegExp): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw unreadable(`cannot read the ${what} file ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const found = block.exec(text)?.[0];
  if (!found) throw unreadable(`${file} holds no PEM ${what}`);
  return found;
}
