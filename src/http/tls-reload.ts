import { unwatchFile, watchFile, type Stats } from 'node:fs';
import type { Logger } from '../log/logger.js';
import { AppError } from '../kernel/app-error.js';
import { certificateValidities, revocationListUpdates, type CertificateExpiry } from '../pki/certificates.js';
import type { TlsMaterial } from './tls-server.js';

export type { CertificateExpiry };

export interface TlsReloaderDeps {
  /** The material the listeners started with. */
  initial: TlsMaterial;
  /** Reads the files again. */
  load(): TlsMaterial;
  /** Hands new material to the listeners; throws (keeping the old) when it is unusable. */
  apply(material: TlsMaterial): void;
  /** Files whose change triggers a reload: the client CA bundle and the CRL. */
  watched: string[];
  /** Client certificates bound to registrations, with the end of their validity. */
  boundCertificates(): Promise<CertificateExpiry[]>;
  logger: Logger;
  warnBefore: { certificateDays: number; crlHours: number };
}

const POLL_MS = 1000;
/** A file written in several steps settles before it is read. */
const DEBOUNCE_MS = 250;
const CHECK_EVERY_MS = 6 * 3_600_000;
const HOUR_MS = 3_600_000;

/**
 * Keeps the listeners' trust material current: reloads when the watched files change, on SIGHUP
 * and on POST /admin/v1/tls/reload, and warns in the log before anything in use expires.
 */
export function createTlsReloader({ initial, load, apply, watched, boundCertificates, logger, warnBefore }: TlsReloaderDeps) {
  let current = initial;
  let checkTimer: NodeJS.Timeout | undefined;
  let stopWatching: (() => void) | undefined;

  /** Throws a `tls.reload_failed` error, after logging it, when the files cannot be used; the previous material stays. */
  function reload(trigger: 'file-change' | 'signal' | 'admin-api'): void {
    try {
      const next = load();
      // A file touched or rewritten with the same content (or already loaded by SIGHUP) changes nothing,
      // and must not close the clients' idle connections.
      if (trigger === 'file-change' && sameMaterial(next, current)) return;
      apply(next);
      current = next;
    } catch (error) {
      const message = (error as Error).message;
      logger.error('TLS reload failed; the previous certificates, CA bundle and CRL stay in use', { event: 'tls.reload_failed', trigger, error: message });
      throw new AppError('tls.reload_failed', `The TLS files could not be loaded; the previous ones stay in use: ${message}`, { status: 422 });
    }
    logger.info('TLS trust material reloaded', { event: 'tls.reload', trigger });
    void checkExpiries();
  }

  async function expiries(): Promise<CertificateExpiry[]> {
    return [...materialExpiries(current), ...(await boundCertificates())];
  }

  async function checkExpiries(now = new Date()): Promise<void> {
    try {
      for (const expiry of await expiries()) logExpiry(expiry, now);
    } catch (error) {
      logger.warn('TLS expiry check failed', { event: 'tls.expiry_check_failed', error: (error as Error).message });
    }
  }

  function logExpiry(expiry: CertificateExpiry, now: Date): void {
    const notAfter = expiry.notAfter.toISOString();
    const fields = { kind: expiry.kind, name: expiry.name, notAfter };
    if (expiry.kind === 'crl' && expiry.notAfter <= now) {
      logger.error('The CRL is stale: its nextUpdate has passed, so every client certificate of that CA is refused (CRL_HAS_EXPIRED) until a fresh CRL is written to TLS_CRL_FILE', { event: 'tls.crl_stale', ...fields });
    } else if (expiry.notAfter <= now) {
      logger.error(`The ${expiry.kind} has expired`, { event: 'tls.expired', ...fields });
    } else if (expiry.notAfter.getTime() - now.getTime() <= warningWindowMs(expiry.kind)) {
      logger.warn(`The ${expiry.kind} expires soon`, { event: 'tls.expiry_near', ...fields, hoursLeft: Math.floor((expiry.notAfter.getTime() - now.getTime()) / HOUR_MS) });
    }
  }

  function warningWindowMs(kind: CertificateExpiry['kind']): number {
    return kind === 'crl' ? warnBefore.crlHours * HOUR_MS : warnBefore.certificateDays * 24 * HOUR_MS;
  }

  /** For a file change or a signal, where nobody waits for an answer: a failure is only logged. */
  function tryReload(trigger: 'file-change' | 'signal'): boolean {
    try {
      reload(trigger);
      return true;
    } catch {
      return false;
    }
  }

  return {
    reload,
    tryReload,
    /** Every expiry date in use, e.g. for metrics. */
    expiries,
    start(): void {
      stopWatching = watchFiles(watched, () => tryReload('file-change'));
      void checkExpiries();
      checkTimer = setInterval(() => void checkExpiries(), CHECK_EVERY_MS).unref();
    },
    stop(): void {
      stopWatching?.();
      clearInterval(checkTimer);
    },
  };
}

export type TlsReloader = ReturnType<typeof createTlsReloader>;

function sameMaterial(a: TlsMaterial, b: TlsMaterial): boolean {
  return a.cert === b.cert && a.key === b.key && a.clientCa === b.clientCa && a.crl === b.crl;
}

function materialExpiries({ cert, clientCa, crl }: TlsMaterial): CertificateExpiry[] {
  // The first certificate of the server file is the server's own; the rest is its chain.
  const [server] = certificateValidities(cert);
  return [
    ...(server ? [{ kind: 'server-certificate' as const, name: server.subject, notAfter: server.notAfter }] : []),
    ...certificateValidities(clientCa).map(({ subject, notAfter }) => ({ kind: 'client-ca' as const, name: subject, notAfter })),
    ...(crl ? revocationListUpdates(crl) : []).flatMap(({ issuer, nextUpdate }) => (nextUpdate ? [{ kind: 'crl' as const, name: issuer, notAfter: nextUpdate }] : [])),
  ];
}

/**
 * Polls the files' metadata (`fs.watchFile`): unlike `fs.watch` it survives a file replaced by a
 * rename or a symlink swap (Kubernetes secrets), and two small stats a second cost nothing.
 */
function watchFiles(files: string[], onChange: () => void): () => void {
  let debounce: NodeJS.Timeout | undefined;
  const changed = (now: Stats, before: Stats) => {
    if (now.mtimeMs === before.mtimeMs && now.ino === before.ino && now.size === before.size) return;
    clearTimeout(debounce);
    debounce = setTimeout(onChange, DEBOUNCE_MS);
  };
  for (const file of files) watchFile(file, { interval: POLL_MS, persistent: false }, changed);
  return () => {
    clearTimeout(debounce);
    for (const file of files) unwatchFile(file, changed);
  };
}
