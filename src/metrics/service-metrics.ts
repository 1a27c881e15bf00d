import type { TlsExpiry } from '../pki/tls-check.js';
import type { Metrics } from './metrics.js';

const DAY_MS = 86_400_000;

export interface SeatUsage {
  registration: string;
  license: string;
  used: number;
  bought: number;
}

export interface ServiceMetricSources {
  audit: { readonly pending: number; readonly dropped: number };
  /** Seats in use and bought, per registration and counted licence. */
  seatUsage(): Promise<SeatUsage[]>;
  /** Expiry of the TLS material the listeners use now. */
  tlsExpiry(): Promise<TlsExpiry>;
  /** A (cached) store ping, so every scrape also times a round trip. */
  pingStore(): Promise<boolean>;
}

/** The gauges read from the running service at scrape time. */
export function addServiceMetrics(metrics: Metrics, sources: ServiceMetricSources): void {
  metrics.gaugeAtScrape('scim_audit_queue_depth', 'Audit events waiting to be written', [], async () => [{ labels: {}, value: sources.audit.pending }]);
  metrics.gaugeAtScrape('scim_audit_events_dropped', 'Audit events that could not be written to the audit store (logged instead at shutdown); must stay 0', [], async () => [
    { labels: {}, value: sources.audit.dropped },
  ]);
  metrics.gaugeAtScrape('scim_license_seats', 'Licence seats per registration and counted licence: used (holders) and bought', ['registration', 'license', 'kind'], async () =>
    (await sources.seatUsage()).flatMap(({ registration, license, used, bought }) => [
      { labels: { registration, license, kind: 'used' }, value: used },
      { labels: { registration, license, kind: 'bought' }, value: bought },
    ]),
  );
  metrics.gaugeAtScrape('scim_tls_expiry_days', 'Days until the server certificate, the first client CA certificate and the CRL (nextUpdate) expire', ['material'], async () => {
    const expiry = await sources.tlsExpiry();
    const daysLeft = (date: Date) => (date.getTime() - Date.now()) / DAY_MS;
    return (['serverCertificate', 'clientCa', 'crl'] as const).flatMap((material) => {
      const date = expiry[material];
      return date ? [{ labels: { material }, value: daysLeft(date) }] : [];
    });
  });
  metrics.gaugeAtScrape('scim_store_up', '1 when the last database ping (at most a second old) succeeded', [], async () => [{ labels: {}, value: (await sources.pingStore()) ? 1 : 0 }]);
}
