import path from 'node:path';

/** Where the development certificates live; apart from their generation so the CLI finds the CA without loading X.509 code. */
export type DevCertificateFiles = {
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
};

const FILE_NAMES: DevCertificateFiles = {
  caCert: 'ca.pem',
  serverCert: 'server.pem',
  serverKey: 'server-key.pem',
  clientCert: 'client.pem',
  clientKey: 'client-key.pem',
};

/** The files of a development certificate folder (the CLI trusts its `caCert`). */
export function devCertificateFiles(dir: string): DevCertificateFiles {
  return Object.fromEntries(Object.entries(FILE_NAMES).map(([key, name]) => [key, path.join(dir, name)])) as unknown as DevCertificateFiles;
}
